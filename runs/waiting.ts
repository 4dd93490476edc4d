/**
 * Waiting for a run to pause or end, whichever replica executes it: its status events (here) or
 * the store's notifications (elsewhere) say when to look; a slow poll covers notifications lost
 * while the store reconnected. Bounded, and cut short at shutdown.
 */
import type { AnswerLog, RunRecord, RunRegistry } from "../storage/index.ts";
import { type RunEvents, SETTLED_STATUSES } from "./events.ts";
import { viewOf } from "./records.ts";
import type { Run } from "./schemas.ts";

export interface WaiterOptions {
  runs: RunRegistry;
  events: RunEvents;
  answers: AnswerLog;
  /** The longest a wait lasts. */
  waitMs: number;
  /** How often the store is looked at without being told. */
  pollMs: number;
  /** Aborted at shutdown: waits end with the run as it is. */
  closing: AbortSignal;
}

export class RunWaiter {
  readonly #options: WaiterOptions;

  constructor(options: WaiterOptions) {
    this.#options = options;
  }

  /** The run once it pauses or ends, or as it is after the wait bound (or at shutdown). */
  async untilSettled(record: RunRecord): Promise<Run> {
    const { runs, events, closing } = this.#options;
    const runId = record.run_id;
    let wake = () => {};
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const look = () => {
      runs.get(record.tenant, runId).then(
        (current) => {
          if (!current || SETTLED_STATUSES.has(current.status)) wake();
        },
        () => {},
      );
    };
    const unsubscribe = events.subscribe(runId, (event) => {
      if (event === null) look();
      else if (event.type === "status" && SETTLED_STATUSES.has((event.data as Run).status)) wake();
    });
    const poll = setInterval(look, this.#options.pollMs);
    const timer = setTimeout(wake, this.#options.waitMs);
    const onClose = () => wake();
    closing.addEventListener("abort", onClose, { once: true });
    try {
      const current = await runs.get(record.tenant, runId);
      if (current && !SETTLED_STATUSES.has(current.status) && !closing.aborted) {
        await woken;
      }
      return viewOf(this.#options.answers, (await runs.get(record.tenant, runId)) ?? record);
    } finally {
      clearInterval(poll);
      clearTimeout(timer);
      unsubscribe();
      closing.removeEventListener("abort", onClose);
    }
  }
}
