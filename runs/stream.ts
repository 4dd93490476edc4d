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

export async function streamRunEvents(stream: RunEventStream): Promise<void> {
  const { events, runId, write, stop } = stream;
  const format = stream.format ?? formatEvent;
  let last = stream.after;
  let notified = false;
  let wake = () => {};
  const unsubscribe = events.subscribe(runId, () => {
    notified = true;
    wake();
  });
  const onStop = () => wake();
  stop.addEventListener("abort", onStop);
  const read = patientReader(write, stop);
  // The registry may be ahead of the log for a moment (the status event is written right after
  // the status, maybe by another replica); if it still is after LAG_WAIT_MS, the event was lost
  // (a crash) and the stream ends.
  let laggingSince: number | null = null;
  try {
    while (!stop.aborted) {
      notified = false;
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

      if (notified) continue;
      const timedOut = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(true), lagging ? LAG_WAIT_MS : stream.keepAliveMs);
        wake = () => {
          clearTimeout(timer);
          resolve(false);
        };
        if (stop.aborted) wake();
      });
      wake = () => {};
      if (timedOut) write(": keep-alive\n\n");
    }
  } finally {
    unsubscribe();
    stop.removeEventListener("abort", onStop);
  }
}
