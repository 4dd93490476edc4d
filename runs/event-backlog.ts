/**
 * Run events that could not be stored because the store was away (a database restart or
 * failover): held here per run, in order, and stored once it answers again, so a run's event
 * log has no gap. While a run has a backlog its later events queue behind it, keeping the order.
 */
import {
  isStoreUnavailable,
  type RunEvent,
  type RunEventLog,
  type RunEventType,
} from "../storage/index.ts";
import type { RunLogger } from "./settings.ts";

type NewEvent = { type: RunEventType; data: unknown };

/** How often, at first, a backlog is offered to the store again; doubling up to the cap. */
const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 2_000;
/** Events held at most, across runs; beyond it the oldest are given up (and logged). */
const MAX_HELD_EVENTS = 20_000;

export class EventBacklog {
  readonly #log: RunEventLog;
  readonly #stored: (events: RunEvent[]) => void;
  readonly #logger: RunLogger;
  /** Per run, batches in the order they were recorded (each was meant as one statement). */
  readonly #held = new Map<string, NewEvent[][]>();
  #count = 0;
  #timer: NodeJS.Timeout | undefined;
  #delay = FIRST_RETRY_MS;
  #flushing: Promise<void> | null = null;

  constructor(log: RunEventLog, stored: (events: RunEvent[]) => void, logger: RunLogger) {
    this.#log = log;
    this.#stored = stored;
    this.#logger = logger;
  }

  has(runId: string): boolean {
    return this.#held.has(runId);
  }

  /** Holds a batch for later; the store is tried again shortly. */
  hold(runId: string, events: NewEvent[]): void {
    if (this.#count === 0) {
      this.#logger.warn({}, "holding run events until the store answers again");
    }
    const batches = this.#held.get(runId) ?? [];
    batches.push(events);
    this.#held.set(runId, batches);
    this.#count += events.length;
    this.#trim();
    this.#schedule();
  }

  /** Stores what is held, run by run, in order; a run stops at its first batch that fails. */
  flush(): Promise<void> {
    this.#flushing ??= this.#flushOnce().finally(() => {
      this.#flushing = null;
    });
    return this.#flushing;
  }

  /** At shutdown: one last try, then whatever is still held is given up (and logged). */
  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#count === 0) return;
    await this.flush();
    clearTimeout(this.#timer);
    if (this.#count > 0) {
      this.#logger.error(
        { events: this.#count, runs: this.#held.size },
        "shutting down with run events the store never took",
      );
    }
  }

  async #flushOnce(): Promise<void> {
    let stored = 0;
    for (const [runId, batches] of this.#held) {
      try {
        while (batches.length > 0) {
          const batch = batches[0]!;
          this.#stored(await this.#log.append(runId, batch));
          batches.shift();
          this.#count -= batch.length;
          stored += batch.length;
        }
        this.#held.delete(runId);
      } catch (error) {
        if (isStoreUnavailable(error)) break;
        // The store answers but refuses this batch: holding it would block the run for good.
        const batch = batches.shift()!;
        this.#count -= batch.length;
        this.#logger.error({ run_id: runId, err: error }, "could not record held run events");
        if (batches.length === 0) this.#held.delete(runId);
      }
    }
    if (stored > 0) {
      this.#logger.info({ events: stored }, "recorded run events held while the store was away");
    }
    if (this.#count > 0) this.#schedule();
    else this.#delay = FIRST_RETRY_MS;
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#delay);
    this.#timer.unref();
    this.#delay = Math.min(this.#delay * 2, MAX_RETRY_MS);
  }

  #trim(): void {
    for (const [runId, batches] of this.#held) {
      if (this.#count <= MAX_HELD_EVENTS) return;
      const dropped = batches.shift()!;
      this.#count -= dropped.length;
      if (batches.length === 0) this.#held.delete(runId);
      this.#logger.error(
        { run_id: runId, events: dropped.length },
        "gave up run events: too many held while the store was away",
      );
    }
  }
}
