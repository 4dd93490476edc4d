import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { ToolWriteState, ToolWriteUpdate } from "../graphs/tool-write/state.ts";
import { nodeContext } from "./context.ts";
import { getWriteTool } from "./writes/index.ts";

/**
 * Checks the arguments again and resolves what the write needs (reads only): the customer's
 * Polar id, the product, the subscription. Ends the run when there is nothing to write.
 */
export async function planWrite(
  state: ToolWriteState,
  config: LangGraphRunnableConfig,
): Promise<ToolWriteUpdate> {
  const tool = getWriteTool(state.input.tool);
  const args = tool.input.parse(state.input.arguments);
  const step = await tool.plan(args, nodeContext(config));
  if ("plan" in step) return { plan: step.plan };
  return {
    outcome: step.outcome,
    stopped: true,
    result: { outcome: step.outcome, detail: step.detail },
  };
}
