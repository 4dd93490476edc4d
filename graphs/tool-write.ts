/**
 * tool-write: one write an agent asked for, as a run — checked, approved by a person unless the
 * caller's key may skip that, sent to Polar exactly once, and answered. Started only by the
 * tools front ends (REST and MCP), never through `/v1/workflows`. Nothing here deletes or revokes.
 */
import { Annotation, type BaseCheckpointSaver, END, START, StateGraph } from "@langchain/langgraph";
import { z } from "zod";
import { approveWrite } from "../nodes/approve-write.ts";
import type { ApprovalAnswer } from "../nodes/interrupts.ts";
import { performWrite } from "../nodes/perform-write.ts";
import { planWrite } from "../nodes/plan-write.ts";
import type { WriteResult } from "../tools/types.ts";
import { getWriteTool, WRITE_TOOL_NAMES } from "../tools/writes.ts";
import { endWhenDecided, field } from "./common.ts";

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
  outcome: field<string>(),
  /** The tool's result: how it ended and what Polar answered. */
  result: field<WriteResult>(),
});
export type ToolWriteState = typeof ToolWriteState.State;
export type ToolWriteUpdate = typeof ToolWriteState.Update;

// ---- routing ----

export function routeAfterPlan(state: ToolWriteState) {
  if (state.outcome) return END;
  return state.input.require_approval ? "approve_write" : "perform_write";
}

// ---- wiring ----

export function buildToolWrite(checkpointer?: BaseCheckpointSaver) {
  return new StateGraph(ToolWriteState)
    .addNode("plan_write", planWrite)
    .addNode("approve_write", approveWrite)
    .addNode("perform_write", performWrite)
    .addEdge(START, "plan_write")
    .addConditionalEdges("plan_write", routeAfterPlan, ["approve_write", "perform_write", END])
    .addConditionalEdges("approve_write", endWhenDecided("perform_write"), ["perform_write", END])
    .addEdge("perform_write", END)
    .compile({ checkpointer, name: TOOL_WRITE_WORKFLOW });
}

// ---- output ----

/** The tool's result (its `output` schema); which tool it was is on the run's input. */
export function toolWriteOutput(state: ToolWriteState): WriteResult {
  return state.result ?? { outcome: state.outcome ?? "unknown" };
}
