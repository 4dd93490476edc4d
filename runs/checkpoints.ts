/**
 * A run's checkpoint history as callers see it: each checkpoint with the nodes whose results
 * produced it, newest first; and the state at one checkpoint.
 */
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { NotFoundError } from "./errors.ts";
import type { CheckpointState, CheckpointSummary } from "./schemas.ts";
import type { CompiledWorkflow } from "./workflows.ts";

type StateSnapshot = Awaited<ReturnType<CompiledWorkflow["getState"]>>;

export interface CheckpointPage {
  limit: number;
  /** A checkpoint id: list the ones older than it. */
  before?: string;
}

/** Checkpoint history of the run (`thread_id = runId`), newest first. */
export async function checkpointHistory(
  graph: CompiledWorkflow,
  runId: string,
  page: CheckpointPage,
): Promise<CheckpointSummary[]> {
  const snapshots: StateSnapshot[] = [];
  // One more than asked: the oldest one's parent tells what produced it.
  for await (const snapshot of graph.getStateHistory(threadConfig(runId), {
    limit: page.limit + 1,
    ...(page.before ? { before: threadConfig(runId, page.before) } : {}),
  })) {
    snapshots.push(snapshot);
  }
  return Promise.all(
    snapshots.slice(0, page.limit).map(async (snapshot, index) => {
      const parentId = parentCheckpointId(snapshot);
      let ran: string[] = [];
      if (parentId !== null) {
        const older = snapshots[index + 1];
        const parent =
          older && checkpointIdOf(older) === parentId
            ? older
            : await graph.getState(threadConfig(runId, parentId));
        ran = [...parent.next];
      }
      return {
        checkpoint_id: checkpointIdOf(snapshot),
        parent_checkpoint_id: parentId,
        step: (snapshot.metadata?.step as number | undefined) ?? 0,
        source: String(snapshot.metadata?.source ?? "unknown"),
        ran,
        next: [...snapshot.next],
        created_at: snapshot.createdAt ?? "",
      };
    }),
  );
}

/** The state at one checkpoint of the run. */
export async function checkpointState(
  graph: CompiledWorkflow,
  checkpointer: BaseCheckpointSaver,
  runId: string,
  checkpointId: string,
): Promise<CheckpointState> {
  const config = threadConfig(runId, checkpointId);
  if (!(await checkpointer.getTuple(config))) {
    throw new NotFoundError(`Run ${runId} has no checkpoint ${checkpointId}.`);
  }
  return stateOf(await graph.getState(config));
}

function stateOf(snapshot: StateSnapshot): CheckpointState {
  return {
    checkpoint_id: checkpointIdOf(snapshot),
    parent_checkpoint_id: parentCheckpointId(snapshot),
    step: (snapshot.metadata?.step as number | undefined) ?? 0,
    values: snapshot.values as Record<string, unknown>,
    next: [...snapshot.next],
    interrupts: snapshot.tasks.flatMap((task) =>
      task.interrupts.map((pending) =>
        isPlainObject(pending.value)
          ? { id: pending.id, ...pending.value }
          : { id: pending.id, value: pending.value },
      ),
    ),
    created_at: snapshot.createdAt ?? "",
  };
}

/** The state at the run's latest checkpoint; null before its first one. */
export async function latestCheckpointState(
  graph: CompiledWorkflow,
  runId: string,
): Promise<CheckpointState | null> {
  const snapshot = await graph.getState(threadConfig(runId));
  if (snapshot.config.configurable?.checkpoint_id === undefined) return null;
  return stateOf(snapshot);
}

/** Whether the run has stored any checkpoint yet. */
export async function hasCheckpoint(
  checkpointer: BaseCheckpointSaver,
  runId: string,
): Promise<boolean> {
  return (await checkpointer.getTuple(threadConfig(runId))) !== undefined;
}

function threadConfig(runId: string, checkpointId?: string) {
  return {
    configurable: {
      thread_id: runId,
      checkpoint_ns: "",
      ...(checkpointId ? { checkpoint_id: checkpointId } : {}),
    },
  };
}

function checkpointIdOf(snapshot: StateSnapshot): string {
  return snapshot.config.configurable?.checkpoint_id as string;
}

function parentCheckpointId(snapshot: StateSnapshot): string | null {
  return (snapshot.parentConfig?.configurable?.checkpoint_id as string | undefined) ?? null;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
