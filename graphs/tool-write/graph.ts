/**
 * tool-write: one write an agent asked for, as a run — checked, approved by a person unless the
 * caller's key may skip that, sent to Polar exactly once, and answered. Started only by the
 * tools front ends (REST and MCP), never through `/v1/workflows`. Nothing here deletes or revokes.
 */
import { type BaseCheckpointSaver, END, START, StateGraph } from "@langchain/langgraph";
import { approveWrite } from "../../nodes/approve-write.ts";
import { performWrite } from "../../nodes/perform-write.ts";
import { planWrite } from "../../nodes/plan-write.ts";
import { TOOL_WRITE_WORKFLOW, ToolWriteState } from "./state.ts";

export function buildToolWrite(checkpointer?: BaseCheckpointSaver) {
  return new StateGraph(ToolWriteState)
    .addNode("plan_write", planWrite)
    .addNode("approve_write", approveWrite)
    .addNode("perform_write", performWrite)
    .addEdge(START, "plan_write")
    .addConditionalEdges("plan_write", routeAfterPlan, ["approve_write", "perform_write", END])
    .addConditionalEdges("approve_write", routeAfterApproval, ["perform_write", END])
    .addEdge("perform_write", END)
    .compile({ checkpointer, name: TOOL_WRITE_WORKFLOW });
}

/** Nothing to write (no such customer…): the end. Otherwise approval first, unless skipped. */
function routeAfterPlan(state: ToolWriteState) {
  if (state.stopped) return END;
  return state.input.require_approval ? "approve_write" : "perform_write";
}

/** Rejected: the end, nothing sent. Approved: the write. */
function routeAfterApproval(state: ToolWriteState) {
  return state.stopped ? END : "perform_write";
}
