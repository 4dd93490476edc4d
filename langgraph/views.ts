/**
 * polar-flows' runs as LangGraph's API shows them (`libs/langgraph-api/src/schemas.mts`, and
 * what `@langchain/langgraph-sdk` parses): a workflow is an assistant, a run is a thread, and
 * each start, answer or retry through `/langgraph` is a LangGraph run on it.
 */
import type { PendingInterrupt as Interrupt } from "../runs/runner.ts";
import type { CheckpointState, RunStatus, WorkflowView } from "../runs/schemas.ts";
import type { ThreadRun, ThreadSummary } from "../storage/index.ts";
import { inboxInterrupt } from "./interrupts.ts";

export const THREAD_STATUSES = ["idle", "busy", "interrupted", "error"] as const;
export type ThreadStatus = (typeof THREAD_STATUSES)[number];

export const LANGGRAPH_RUN_STATUSES = [
  "pending",
  "running",
  "error",
  "success",
  "timeout",
  "interrupted",
] as const;
export type LangGraphRunStatus = (typeof LANGGRAPH_RUN_STATUSES)[number];

/** A thread's status from its run's (null: a thread with no run yet). */
export function threadStatusOf(status: RunStatus | null): ThreadStatus {
  switch (status) {
    case "queued":
    case "running":
      return "busy";
    case "interrupted":
      return "interrupted";
    case "failed":
      return "error";
    default:
      return "idle";
  }
}

/** The run statuses a thread status stands for, and whether threads with no run count. */
export function runStatusesFor(status: ThreadStatus): { statuses: RunStatus[]; pending: boolean } {
  switch (status) {
    case "busy":
      return { statuses: ["queued", "running"], pending: false };
    case "interrupted":
      return { statuses: ["interrupted"], pending: false };
    case "error":
      return { statuses: ["failed"], pending: false };
    case "idle":
      return { statuses: ["completed", "cancelled"], pending: true };
  }
}

/**
 * A LangGraph run's status. The thread's latest one follows the thread: a run that pauses for a
 * person has done its part (`success`, as LangGraph's server says), a cancelled one was
 * `interrupted`; earlier ones keep how they ended.
 */
export function runStatusOf(run: ThreadRun, threadStatus: RunStatus): LangGraphRunStatus {
  if (run.final_status !== null) return run.final_status as LangGraphRunStatus;
  switch (threadStatus) {
    case "queued":
      return "pending";
    case "running":
      return "running";
    case "failed":
      return "error";
    case "cancelled":
      return "interrupted";
    default:
      return "success";
  }
}

/** What a thread's view is made from: a run, or a thread made before its first run. */
export type ThreadSource = ThreadSummary;

/** The `__interrupt__` list LangGraph puts beside a thread's values while it waits. */
export function interruptsOf(interrupt: unknown | null) {
  return interrupt ? [inboxInterrupt(interrupt as Interrupt)] : [];
}

export function threadView(thread: ThreadSource, values: Record<string, unknown> | null) {
  const interrupt = thread.interrupt as Interrupt | null;
  return {
    thread_id: thread.thread_id,
    created_at: thread.created_at,
    updated_at: thread.updated_at,
    state_updated_at: thread.updated_at,
    metadata: {
      ...thread.metadata,
      ...(thread.workflow ? { graph_id: thread.workflow, assistant_id: thread.workflow } : {}),
    },
    status: threadStatusOf(thread.status),
    values: values ?? {},
    // Keyed by the node that asked (LangGraph keys them by task id); agent-inbox reads the values.
    interrupts: interrupt ? { [interrupt.node]: interruptsOf(interrupt) } : {},
    config: {},
    error: thread.error ? `${thread.error.code}: ${thread.error.message}` : null,
  };
}

export function runView(run: ThreadRun, threadStatus: RunStatus) {
  return {
    run_id: run.run_id,
    thread_id: run.thread_id,
    assistant_id: run.assistant_id,
    created_at: run.created_at,
    updated_at: run.updated_at,
    status: runStatusOf(run, threadStatus),
    metadata: run.metadata,
    kwargs: {},
    multitask_strategy: "reject" as const,
  };
}

function checkpointRef(threadId: string, checkpointId: string | null) {
  return checkpointId === null
    ? null
    : { thread_id: threadId, checkpoint_ns: "", checkpoint_id: checkpointId, checkpoint_map: null };
}

/** The thread's state at one checkpoint, as `threads.getState` / `getHistory` answer it. */
export function threadStateView(threadId: string, state: CheckpointState | null) {
  if (state === null) {
    return {
      values: {},
      next: [],
      tasks: [],
      metadata: {},
      created_at: null,
      checkpoint: null,
      parent_checkpoint: null,
    };
  }
  const interrupts = state.interrupts as unknown as Interrupt[];
  return {
    values: state.values,
    next: state.next,
    tasks: state.next.map((name) => ({
      id: `${state.checkpoint_id}:${name}`,
      name,
      error: null,
      interrupts: interrupts.filter((pending) => pending.node === name).map(inboxInterrupt),
      checkpoint: null,
      state: null,
      result: null,
    })),
    metadata: { step: state.step },
    created_at: state.created_at,
    checkpoint: checkpointRef(threadId, state.checkpoint_id),
    parent_checkpoint: checkpointRef(threadId, state.parent_checkpoint_id),
  };
}

/** A workflow as an assistant: its id and its graph id are both the workflow's name. */
export function assistantView(workflow: WorkflowView, since: string) {
  return {
    assistant_id: workflow.name,
    graph_id: workflow.name,
    name: workflow.name,
    description: workflow.description,
    config: {},
    context: {},
    metadata: { created_by: "system" },
    version: 1,
    created_at: since,
    updated_at: since,
  };
}

/**
 * What the thread's graph takes as input (`{ input: <the workflow's input> }`, the same as
 * LangGraph's own server takes for this graph) and its state.
 */
export function assistantSchemas(workflow: WorkflowView) {
  const input = {
    type: "object",
    properties: { input: workflow.input_schema },
    required: ["input"],
  };
  return {
    graph_id: workflow.name,
    input_schema: input,
    output_schema: { type: "object", additionalProperties: true },
    state_schema: { type: "object", additionalProperties: true, properties: input.properties },
    config_schema: { type: "object", properties: {} },
    context_schema: { type: "object", properties: {} },
  };
}
