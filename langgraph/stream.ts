/**
 * A run's events as LangGraph's server streams them: a `metadata` event first, then `updates`
 * (`{ node: update }`, and `{ __interrupt__: [...] }` when it waits for a person) and `values`
 * (the whole state after each step) as asked, `error` when it fails; other modes (messages,
 * events, debug, …) are accepted and send nothing. The run core's event log is
 * the source; every state channel of the workflows keeps its last value, so the state after a
 * step is the state before it with the step's update laid over it.
 */
import type { Run } from "../runs/schemas.ts";
import type { RunEvent } from "../storage/index.ts";
import { interruptsOf } from "./views.ts";

export function sseEvent(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? "" : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The first event of every stream: which LangGraph run this is. */
export function metadataEvent(runId: string): string {
  return sseEvent("metadata", { run_id: runId, attempt: 1 });
}

/**
 * Formats the run core's events for one stream. `values` starts from the thread's state when
 * the LangGraph run began.
 */
export function langGraphFormat(
  modes: ReadonlySet<string>,
  startValues: Record<string, unknown>,
): (event: RunEvent) => string {
  let values = { ...startValues };
  return (event) => {
    if (event.type === "node") {
      const { node, update } = event.data as { node: string; update: unknown };
      const changes = typeof update === "object" && update !== null ? update : {};
      values = { ...values, ...changes };
      return (
        (modes.has("updates") ? sseEvent("updates", { [node]: update }, event.event_id) : "") +
        (modes.has("values") ? sseEvent("values", values, event.event_id) : "")
      );
    }
    if (event.type !== "status") return "";
    const run = event.data as Run;
    if (run.status === "interrupted" && modes.has("updates")) {
      return sseEvent("updates", { __interrupt__: interruptsOf(run.interrupt) }, event.event_id);
    }
    if (run.status === "failed" && run.error) {
      return sseEvent(
        "error",
        { error: run.error.code, message: run.error.message },
        event.event_id,
      );
    }
    return "";
  };
}
