/**
 * What a node gets through `config.configurable` — never through state, so no client, secret
 * or clock is ever checkpointed.
 */
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { PolarGateway } from "../polar/gateway.ts";

export interface WorkflowDeps {
  polar: PolarGateway;
  /** The clock usage windows are measured against; injectable for tests. */
  now?: () => Date;
}

export interface NodeContext {
  polar: PolarGateway;
  now: () => Date;
  /** The run this node belongs to (`thread_id = run_id`): the key of its side effects. */
  runId: string;
}

export function nodeContext(config: LangGraphRunnableConfig): NodeContext {
  const configurable = config.configurable ?? {};
  const polar = configurable.polar as PolarGateway | undefined;
  const runId = configurable.thread_id as string | undefined;
  if (!polar) throw new Error("workflow misconfigured: no Polar gateway in config.configurable.polar");
  if (!runId) throw new Error("workflow misconfigured: no thread_id in config.configurable");
  const now = (configurable.now as (() => Date) | undefined) ?? (() => new Date());
  return { polar, now, runId };
}
