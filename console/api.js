/**
 * Calls to the service with the console's session: the HttpOnly cookie goes along by itself
 * (the key never reaches this code after sign-in), and every request carries the console header
 * the server requires before it honours the cookie (CSRF).
 */
const CONSOLE_HEADER = { "x-polar-flows-console": "1" };

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

let signedOut = () => {};
/** Called when the session is gone (401 from /v1). */
export function onSignedOut(handler) {
  signedOut = handler;
}

export async function api(method, path, body) {
  const headers = { ...CONSOLE_HEADER, accept: "application/json" };
  const init = { method, headers, credentials: "same-origin", cache: "no-store" };
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401 && path.startsWith("/v1/")) signedOut(error);
    throw error;
  }
  return data;
}

function parseEvent(block) {
  const event = { id: 0, type: "message", data: "" };
  let data = [];
  for (const line of block.split("\n")) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "id") event.id = Number(value);
    else if (field === "event") event.type = value;
    else if (field === "data") data.push(value);
  }
  if (data.length === 0) return null;
  data = data.join("\n");
  try {
    event.data = JSON.parse(data);
  } catch {
    event.data = data;
  }
  return event;
}

/**
 * Reads server-sent events from `path` after `after`: `onOpen` once the stream answers,
 * `onEvent` for each event, `onEnd(lastId, error)` when it ends. Read with fetch rather than
 * EventSource so the console header goes along. Answers a function that stops it.
 */
function followStream(path, { after = 0, onOpen, onEvent, onEnd }) {
  const stop = new AbortController();
  let last = after;
  (async () => {
    try {
      const headers = { ...CONSOLE_HEADER, accept: "text/event-stream" };
      if (last > 0) headers["last-event-id"] = String(last);
      const response = await fetch(path, { headers, signal: stop.signal, cache: "no-store" });
      if (!response.ok) {
        const error = new ApiError(response.status, await response.json().catch(() => null));
        if (response.status === 401) signedOut(error);
        throw error;
      }
      onOpen?.();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replaceAll("\r\n", "\n");
        for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
          const event = parseEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (!event) continue;
          last = event.id || last;
          onEvent(event);
        }
      }
      onEnd?.(last, null);
    } catch (error) {
      if (!stop.signal.aborted) onEnd?.(last, error);
    }
  })();
  return () => stop.abort();
}

/** A run's events (/v1/runs/{id}/events), until the run pauses or ends. */
export function followEvents(runId, handlers) {
  return followStream(`/v1/runs/${encodeURIComponent(runId)}/events`, handlers);
}

/**
 * Every run's status, interrupt and answer events of the tenant (/v1/events), each with its
 * `run_id`; without `after` from the moment `onOpen` is called. It ends only if dropped.
 */
export function followTenantEvents(handlers) {
  return followStream("/v1/events", handlers);
}
