/** Turning a run into a tool answer: the result, or what the run waits for. */
import type { Run } from "../runs/schemas.ts";
import { ToolRunFailedError } from "./errors.ts";
import type { ToolAnswer } from "./types.ts";

export function answerFromRun(run: Run): ToolAnswer {
  switch (run.status) {
    case "completed":
      return { status: "completed", result: run.output, run_id: run.run_id };
    case "interrupted": {
      const interrupt = run.interrupt;
      const approval = interrupt?.kind === "approval";
      return {
        status: approval ? "pending_approval" : "pending_input",
        run,
        note: `Waiting for a person in polar-flows (run ${run.run_id}${interrupt ? `: "${interrupt.message}"` : ""}). Nothing more happens until they answer; do not call the tool again for this. Check later with get_run.`,
      };
    }
    case "queued":
    case "running":
      return {
        status: "running",
        run,
        note: `Run ${run.run_id} is still running; check it with get_run.`,
      };
    case "cancelled":
      return { status: "cancelled", run, note: `Run ${run.run_id} was cancelled.` };
    case "failed":
      throw new ToolRunFailedError(run);
  }
}
