import type { RunnableConfig } from "@langchain/core/runnables";
import {
  BaseCheckpointSaver,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointTuple,
  type DeltaChannelHistory,
  type PendingWrite,
} from "@langchain/langgraph-checkpoint";
import { LEASE_KEY, type Lease, LeaseLostError } from "./types.ts";

/** A stored checkpoint, as `run_steps` records it. */
export interface StepRecord {
  checkpoint_id: string;
  step: number;
}

/** Stores one write under `lease` (recording `step` with it), or throws `LeaseLostError`. */
export type FencedWriterFactory = (
  lease: Lease,
  step: StepRecord | null,
) => Pick<BaseCheckpointSaver, "put" | "putWrites">;

/**
 * The checkpointer of run executions. Reads go to the backend's saver; each write goes through
 * the writer the backend builds for the lease the execution carries in its config, so an
 * execution whose lease was taken over (or whose run was cancelled) can no longer store
 * anything. A write without a lease is refused the same way.
 */
export class FencedCheckpointer extends BaseCheckpointSaver {
  readonly #reader: BaseCheckpointSaver;
  readonly #writer: FencedWriterFactory;

  constructor(reader: BaseCheckpointSaver, writer: FencedWriterFactory) {
    super(reader.serde);
    this.#reader = reader;
    this.#writer = writer;
  }

  getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    return this.#reader.getTuple(config);
  }

  list(config: RunnableConfig, options?: CheckpointListOptions): AsyncGenerator<CheckpointTuple> {
    return this.#reader.list(config, options);
  }

  getDeltaChannelHistory(options: {
    config: RunnableConfig;
    channels: string[];
  }): Promise<Record<string, DeltaChannelHistory>> {
    return this.#reader.getDeltaChannelHistory(options);
  }

  getNextVersion(current: number | undefined): number {
    return this.#reader.getNextVersion(current);
  }

  async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    const step = { checkpoint_id: checkpoint.id, step: metadata.step };
    return this.#writer(this.#lease(config), step).put(config, checkpoint, metadata, newVersions);
  }

  async putWrites(
    config: RunnableConfig,
    writes: PendingWrite[],
    taskId: string,
    taskPath?: string,
  ): Promise<void> {
    return this.#writer(this.#lease(config), null).putWrites(config, writes, taskId, taskPath);
  }

  async deleteThread(threadId: string): Promise<void> {
    throw new Error(`run executions never delete threads (asked for ${threadId})`);
  }

  #lease(config: RunnableConfig): Lease {
    const runId = String(config.configurable?.thread_id);
    const lease = config.configurable?.[LEASE_KEY] as Lease | undefined;
    if (lease?.run_id !== runId) throw new LeaseLostError(runId);
    return lease;
  }
}
