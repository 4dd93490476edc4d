/**
 * What a node gets through `config.configurable` — never through state, so no client, secret
 * or clock is ever checkpointed.
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { PolarForTenants, PolarGateway } from "../polar/gateway.ts";
import type { PolarWriteAction } from "../storage/types.ts";
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

/**
 * One Polar write as a node describes it. `T` is what the node keeps of Polar's answer (plain
 * JSON): the journal records it, and a node executed again answers with it, sending nothing.
 */
export interface PolarWrite<T> {
  action: PolarWriteAction;
  /** The write's idempotency key: tagged on what it makes, so that `lookup` can find it. */
  key: string;
  customerId: string | null;
  /** What is sent, in short, for the record (no secrets). */
  request: Record<string, unknown>;
  send(): Promise<T>;
  /** What an earlier send with this key made at Polar, or null: for an outcome never recorded. */
  lookup(): Promise<T | null>;
  objectId(result: T): string | null;
}

/** Sends each write once per run: see runs/write-journal.ts. */
export interface WriteJournal {
  perform<T>(node: string, write: PolarWrite<T>): Promise<T>;
  /** Throws unless a write may go out now (the run's lease has time left); runs before each send. */
  assertMaySend(): void;
}

/** Where an execution's journal travels in its config (`configurable`). */
export const JOURNAL_KEY = "polar_flows_journal";

/**
 * Without a journal (a bare `advanceRun`: benchmarks, scripts) a write cannot know whether an
 * earlier execution sent it, so it always looks at Polar first.
 */
export async function lookFirstWrite<T>(write: PolarWrite<T>): Promise<T> {
  return (await write.lookup()) ?? write.send();
}

const lookFirst: WriteJournal = {
  perform: (_node, write) => lookFirstWrite(write),
  assertMaySend: () => {},
};

export interface NodeContext {
  polar: PolarGateway;
  now: () => Date;
  model: BaseChatModel | null;
  /** The run this node belongs to (`thread_id = run_id`): the key of its side effects. */
  runId: string;
  /**
   * The one way a node writes to Polar: journaled, fenced by the run's lease, and repeated on a
   * retryable failure — a repeat looks at Polar only when the earlier send's outcome is unknown.
   */
  write<T>(write: PolarWrite<T>): Promise<T>;
}

export function nodeContext(config: LangGraphRunnableConfig): NodeContext {
  const configurable = config.configurable ?? {};
  const gateway = configurable.polar as PolarGateway | undefined;
  const runId = configurable.thread_id as string | undefined;
  if (!gateway)
    throw new Error("workflow misconfigured: no Polar gateway in config.configurable.polar");
  if (!runId) throw new Error("workflow misconfigured: no thread_id in config.configurable");
  const now = (configurable.now as (() => Date) | undefined) ?? (() => new Date());
  const model = (configurable.model as BaseChatModel | null | undefined) ?? null;
  const journal = (configurable[JOURNAL_KEY] as WriteJournal | undefined) ?? lookFirst;
  const node = (config.metadata?.langgraph_node as string | undefined) ?? "unknown";
  const polar = gateway.withSignal(config.signal).guardingWrites(() => journal.assertMaySend());
  return {
    polar,
    now,
    model,
    runId,
    write: (write) => polar.retried(write.action, () => journal.perform(node, write)),
  };
}
