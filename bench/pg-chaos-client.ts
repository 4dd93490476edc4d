/**
 * The chaos trial's API client, as a careful caller behaves during a database restart: a 503
 * is waited out as its Retry-After says (capped, to keep trials short), a request that never got
 * an answer is sent again with the same Idempotency-Key, and an event stream that ends early is
 * picked up again with Last-Event-ID. Anything else unexpected is noted for the report.
 */

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A request that takes longer hangs: the store's outage must be answered (503) well before. */
const ANSWER_WITHIN_MS = 20_000;

const SETTLED = new Set(["interrupted", "completed", "failed", "cancelled"]);

export interface ChaosApi {
  pick: () => { url: string };
  unexpected: string[];
  counts: { answered503: number };
}

export interface StreamEvent {
  id: string;
  event: string;
  /** A run (status events) or `{ node, update }` (node events). */
  data: { status?: string; node?: string };
}

/** The JSON answer of a request, sent again until it gets one (503, 409, no answer). */
export async function untilAnswered<T>(
  api: ChaosApi,
  method: string,
  path: string,
  options: { body?: unknown; key?: string; deadline: number },
): Promise<T> {
  for (;;) {
    if (Date.now() > options.deadline) throw new Error(`no answer to ${method} ${path} in time`);
    const headers: Record<string, string> = {};
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (options.key) headers["idempotency-key"] = options.key;
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${api.pick().url}${path}`, {
        method,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
      });
      text = await response.text();
    } catch (error) {
      if ((error as Error).name === "TimeoutError") {
        api.unexpected.push(`${method} ${path}: no answer within ${ANSWER_WITHIN_MS} ms`);
      }
      await sleep(100);
      continue;
    }
    if (response.ok) return JSON.parse(text) as T;
    if (response.status === 503) {
      const retryAfter = Number(response.headers.get("retry-after"));
      if (!(retryAfter > 0)) api.unexpected.push(`${method} ${path}: 503 without Retry-After`);
      api.counts.answered503 += 1;
      await sleep(Math.min((retryAfter || 1) * 1000, 500));
    } else if (response.status === 409) {
      await sleep(100);
    } else {
      api.unexpected.push(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
      if (response.status < 500) throw new Error(`${method} ${path}: ${response.status} ${text}`);
      await sleep(200);
    }
  }
}

/** The run's events until it pauses or ends, reconnecting (Last-Event-ID) if a stream breaks. */
export async function readStream(
  api: ChaosApi,
  runId: string,
  deadline: number,
): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for (;;) {
    if (Date.now() > deadline) return events;
    const headers: Record<string, string> = {};
    const last = events.at(-1);
    if (last) headers["last-event-id"] = last.id;
    const text = await fetch(`${api.pick().url}/v1/runs/${runId}/events`, {
      headers,
      signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
    })
      .then((response) => (response.ok ? response.text() : null))
      .catch(() => null);
    if (text !== null) events.push(...parseEvents(text));
    const end = events.at(-1);
    if (end?.event === "status" && SETTLED.has(end.data.status ?? "")) return events;
    await sleep(100);
  }
}

function parseEvents(text: string): StreamEvent[] {
  const events: StreamEvent[] = [];
  for (const block of text.split("\n\n")) {
    const fields: Record<string, string> = {};
    for (const line of block.split("\n")) {
      if (line === "" || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
    }
    if (fields.event && fields.id && fields.data) {
      events.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) });
    }
  }
  return events;
}
