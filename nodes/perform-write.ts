import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { ToolWriteState, ToolWriteUpdate } from "../graphs/tool-write/state.ts";
import { nodeContext } from "./context.ts";
import { getWriteTool } from "./writes/index.ts";

/**
 * The one Polar write. Each tool keys it to the run (checkout and benefit metadata, the event's
 * external_id, the already-scheduled check), so a retried or resumed node writes nothing twice.
 */
export async function performWrite(
  state: ToolWriteState,
  config: LangGraphRunnableConfig,
): Promise<ToolWriteUpdate> {
  const result = await getWriteTool(state.input.tool).perform(state.plan, nodeContext(config));
  return { outcome: result.outcome, result };
}
