/**
 * A tenant's run events as server-sent events — every run's `status`, `interrupt` and `answer`
 * events, node updates left out: those after the cursor, then live ones (from this replica
 * directly, from the others through the store's notifications), until the client goes away.
 */
import type { RunEvent, RunEventType } from "../storage/index.ts";
import type { RunEvents } from "./events.ts";
import { patientReader, StreamWakeup } from "./stream.ts";

export const TENANT_EVENT_TYPES: readonly RunEventType[] = ["status", "interrupt", "answer"];

const PAGE = 200;
/**
 * PostgreSQL hands out event ids before commit, so two runs' events can become visible out of
 * id order. Ids above the cursor as it was this long ago are read again (each sent once).
 */
const LATE_COMMIT_MS = 2_000;
/** Reads at most this often: a busy store notifies per event, and every open stream reads. */
const MIN_READ_GAP_MS = 100;

export interface TenantEventStream {
  events: RunEvents;
  tenant: string;
  /** Send events after this id. */
  after: number;
  write: (chunk: string) => void;
  stop: AbortSignal;
  keepAliveMs: number;
}

/** One event as SSE text; the data gains the `run_id` (status data, the run, has it already). */
export function formatTenantEvent(event: RunEvent): string {
  const data =
    event.data !== null && typeof event.data === "object" && !Array.isArray(event.data)
      ? { run_id: event.run_id, ...event.data }
      : { run_id: event.run_id, data: event.data };
  return `id: ${event.event_id}\nevent: ${event.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

export async function streamTenantEvents(stream: TenantEventStream): Promise<void> {
  const { events, tenant, write, stop } = stream;
  const read = patientReader(write, stop);
  let last = stream.after;
  /** The cursor at each recent read: reading after the oldest catches late commits. */
  const cursors: { at: number; id: number }[] = [];
  /** Ids sent above that oldest cursor. */
  const sent = new Set<number>();
  let lastReadAt = 0;
  const wakeup = new StreamWakeup(stop);
  const unsubscribe = events.subscribeAll((event) => {
    if (event?.type !== "node") wakeup.notify();
  });
  try {
    while (!stop.aborted) {
      const gap = lastReadAt + MIN_READ_GAP_MS - Date.now();
      if (gap > 0) await new Promise((resolve) => setTimeout(resolve, gap));
      wakeup.reset();
      const now = Date.now();
      lastReadAt = now;
      while (cursors.length > 0 && now - cursors[0]!.at > LATE_COMMIT_MS) cursors.shift();
      cursors.push({ at: now, id: last });
      let cursor = cursors[0]!.id;
      for (const id of sent) if (id <= cursor) sent.delete(id);
      for (;;) {
        const from = cursor;
        const batch = await read(() => events.tenantAfter(tenant, TENANT_EVENT_TYPES, from, PAGE));
        for (const event of batch) {
          cursor = event.event_id;
          if (sent.has(event.event_id)) continue;
          write(formatTenantEvent(event));
          sent.add(event.event_id);
          last = Math.max(last, event.event_id);
        }
        if (batch.length < PAGE) break;
      }
      if (wakeup.notified) continue;
      if (await wakeup.idle(stream.keepAliveMs)) write(": keep-alive\n\n");
    }
  } finally {
    unsubscribe();
    wakeup.close();
  }
}
