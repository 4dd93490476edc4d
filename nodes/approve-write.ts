import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { ToolWriteState, ToolWriteUpdate } from "../graphs/tool-write/state.ts";
import { askForApproval, settleApproval } from "./interrupts.ts";
import { getWriteTool } from "./writes/index.ts";

/** A person confirms the planned write; an agent cannot answer this (no tool resumes a run). */
export async function approveWrite(
  state: ToolWriteState,
  _config: LangGraphRunnableConfig,
): Promise<ToolWriteUpdate> {
  const { message, proposed_action } = getWriteTool(state.input.tool).approval(state.plan);
  const answer = askForApproval("approve_write", message, proposed_action);
  const { approval, outcome, detail } = settleApproval(answer);
  return outcome ? { approval, outcome, stopped: true, result: { outcome, detail } } : { approval };
}
