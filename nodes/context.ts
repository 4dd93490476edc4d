/**
 * What a node gets through `config.configurable` — never through state, so no client, secret
 * or clock is ever checkpointed.
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { PolarForTenants, PolarGateway } from "../polar/gateway.ts";
import type { RemediationStarter } from "./watch-rules.ts";

export interface WorkflowDeps {
  polar: PolarGateway;
  /** The clock usage windows are measured against; injectable for tests. */
  now?: () => Date;
  /** Reads free text and drafts messages (llm/model.ts); absent: rules and templates. */
  model?: BaseChatModel | null;
  /** Starts a watch's remediations (a sweep's last step); absent: sweeps cannot start any. */
  remediations?: RemediationStarter;
}

/** What the run service hands its runs: each run gets the Polar of its own tenant. */
export interface ServiceDeps extends Omit<WorkflowDeps, "polar"> {
  polar: PolarForTenants;
}

export interface NodeContext {
  polar: PolarGateway;
  now: () => Date;
  model: BaseChatModel | null;
  /** The run this node belongs to (`thread_id = run_id`): the key of its side effects. */
  runId: string;
}

export function nodeContext(config: LangGraphRunnableConfig): NodeContext {
  const configurable = config.configurable ?? {};
  const polar = configurable.polar as PolarGateway | undefined;
  const runId = configurable.thread_id as string | undefined;
  if (!polar)
    throw new Error("workflow misconfigured: no Polar gateway in config.configurable.polar");
  if (!runId) throw new Error("workflow misconfigured: no thread_id in config.configurable");
  const now = (configurable.now as (() => Date) | undefined) ?? (() => new Date());
  const model = (configurable.model as BaseChatModel | null | undefined) ?? null;
  return { polar: polar.withSignal(config.signal), now, model, runId };
}
