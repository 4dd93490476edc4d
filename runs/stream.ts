/**
 * A run's events as server-sent events: first those after `Last-Event-ID` (replayed from the
 * store), then live ones, until the run pauses or ends. Keep-alive comments while it waits.
 */
import { isStoreUnavailable, type RunEvent, type RunStatus } from "../storage/index.ts";
import { type RunEvents, SETTLED_STATUSES, statusOf } from "./events.ts";

const PAGE = 200;
const LAG_WAIT_MS = 1_000;

export interface RunEventStream {
  events: RunEvents;
  runId: string;
  /** The last event id the client saw (0: none). */
  after: number;
  /** The run's status in the registry (null: gone); throws while the store is away. */
  currentStatus: () => Promise<RunStatus | null>;
  write: (chunk: string) => void;
  /** How an event reads on the wire (default: `formatEvent`); "" skips it. */
  format?: (event: RunEvent) => string;
  /** The client went away, or the server is closing. */
  stop: AbortSignal;
  keepAliveMs: number;
}

export function formatEvent(event: RunEvent): string {
  return `id: ${event.event_id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/** While the store is away (a database restart) a stream stays open and reads again after. */
export function patientReader(write: (chunk: string) => void, stop: AbortSignal) {
  return async <T>(query: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        return await query();
      } catch (error) {
        if (!isStoreUnavailable(error) || stop.aborted) throw error;
        write(": store away\n\n");
        await new Promise((resolve) => setTimeout(resolve, LAG_WAIT_MS));
      }
    }
  };
}

/**
 * What a stream's loop waits on between reads: news (`notify`, from a subscription), the stream
 * stopping, or the keep-alive time running out.
 */
export class StreamWakeup {
  #notified = false;
  #wake = () => {};
  readonly #stop: AbortSignal;
  readonly #onStop = () => this.#wake();

  constructor(stop: AbortSignal) {
    this.#stop = stop;
    stop.addEventListener("abort", this.#onStop);
  }

  /** Something new was logged. */
  readonly notify = (): void => {
    this.#notified = true;
    this.#wake();
  };

  /** Before a read: only what is logged from now on counts as news. */
  reset(): void {
    this.#notified = false;
  }

  /** News came since the last `reset`: read again at once. */
  get notified(): boolean {
    return this.#notified;
  }

  /** Waits for news, the stream's end or `ms`; true when the time ran out (a keep-alive is due). */
  async idle(ms: number): Promise<boolean> {
    const timedOut = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(true), ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve(false);
      };
      if (this.#stop.aborted) this.#wake();
    });
    this.#wake = () => {};
    return timedOut;
  }

  close(): void {
    this.#stop.removeEventListener("abort", this.#onStop);
  }
}

export async function streamRunEvents(stream: RunEventStream): Promise<void> {
  const { events, runId, write, stop } = stream;
  const format = stream.format ?? formatEvent;
  let last = stream.after;
  const wakeup = new StreamWakeup(stop);
  const unsubscribe = events.subscribe(runId, wakeup.notify);
  const read = patientReader(write, stop);
  // The registry may be ahead of the log for a moment (the status event is written right after
  // the status, maybe by another replica); if it still is after LAG_WAIT_MS, the event was lost
  // (a crash) and the stream ends.
  let laggingSince: number | null = null;
  try {
    while (!stop.aborted) {
      wakeup.reset();
      const batch = await read(() => events.after(runId, last, PAGE));
      for (const event of batch) {
        const text = format(event);
        if (text !== "") write(text);
        last = event.event_id;
      }
      if (batch.length === PAGE) continue;

      const latest = await read(() => events.latestStatus(runId));
      const logged = latest ? statusOf(latest) : null;
      if (logged !== null && SETTLED_STATUSES.has(logged) && latest!.event_id <= last) return;
      const status = await read(() => stream.currentStatus());
      if (status === null) return;
      const lagging = SETTLED_STATUSES.has(status) && status !== logged;
      if (!lagging) laggingSince = null;
      else if (laggingSince === null) laggingSince = Date.now();
      else if (Date.now() - laggingSince >= LAG_WAIT_MS) return;

      if (wakeup.notified) continue;
      if (await wakeup.idle(lagging ? LAG_WAIT_MS : stream.keepAliveMs)) write(": keep-alive\n\n");
    }
  } finally {
    unsubscribe();
    wakeup.close();
  }
}
