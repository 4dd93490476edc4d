/**
 * tool-write, what it takes, holds and answers: the input (a write tool and its arguments), the
 * state its nodes read and update, and the output (the tool's result). The wiring is in graph.ts.
 */
import { Annotation } from "@langchain/langgraph";
import { z } from "zod";
import type { ApprovalAnswer } from "../../nodes/interrupts.ts";
import { getWriteTool, WRITE_TOOL_NAMES } from "../../nodes/writes/index.ts";
import type { WriteResult } from "../../nodes/writes/types.ts";
import { endChannels, field } from "../common.ts";

export const TOOL_WRITE_WORKFLOW = "tool-write";

// ---- input ----

export const ToolWriteInput = z
  .strictObject({
    tool: z.enum(WRITE_TOOL_NAMES),
    arguments: z.record(z.string(), z.unknown()),
    require_approval: z.boolean().default(true),
  })
  .superRefine((input, context) => {
    // The same check the tool call made: a run never holds arguments its tool would refuse.
    const parsed = getWriteTool(input.tool).input.safeParse(input.arguments, { reportInput: true });
    if (parsed.success) return;
    for (const issue of parsed.error.issues) {
      context.addIssue({ ...issue, path: ["arguments", ...issue.path] } as z.core.$ZodRawIssue);
    }
  });
export type ToolWriteInput = z.output<typeof ToolWriteInput>;

// ---- state ----

export const ToolWriteState = Annotation.Root({
  input: Annotation<ToolWriteInput>,
  /** What the write will do (ids, amounts), as the tool planned it; shown at the approval. */
  plan: field<unknown>(),
  approval: field<ApprovalAnswer>(),
  ...endChannels,
  /** The tool's result: how it ended and what Polar answered. */
  result: field<WriteResult>(),
});
export type ToolWriteState = typeof ToolWriteState.State;
export type ToolWriteUpdate = typeof ToolWriteState.Update;

// ---- output ----

/** The tool's result (its `output` schema); which tool it was is on the run's input. */
export function toolWriteOutput(state: ToolWriteState): WriteResult {
  return state.result ?? { outcome: state.outcome ?? "unknown" };
}
