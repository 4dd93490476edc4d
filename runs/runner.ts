/**
 * Drives one run (a LangGraph thread, `thread_id = run_id`) until it pauses or ends, and
 * reports where it stands: the pending interrupt, the output, or a classified error. Used by
 * the REST service, the benchmarks and the tests alike.
 */
import { randomUUID } from "node:crypto";
import { Command, type LangGraphRunnableConfig } from "@langchain/langgraph";
import type { Workflow } from "../graphs/index.ts";
import { errorCodeOf } from "../lib/errors.ts";
import { validate } from "../lib/validation.ts";
import { JOURNAL_KEY, type WorkflowDeps, type WriteJournal } from "../nodes/context.ts";
import { WorkflowInputError } from "../nodes/errors.ts";
import { type InterruptRequest, resumeSchemaFor } from "../nodes/interrupts.ts";
import { PolarGatewayError } from "../polar/errors.ts";
import { isStoreUnavailable, STORE_UNAVAILABLE } from "../storage/outage.ts";
import { LEASE_KEY, type Lease, LeaseLostError } from "../storage/types.ts";
import { LEASE_LOST, ResumeRejectedError, type RunError } from "./errors.ts";

export interface PendingInterrupt extends InterruptRequest {
  id: string;
}

export type StepResult =
  | { status: "interrupted"; interrupt: PendingInterrupt; checkpoint_id: string | null }
  | { status: "completed"; output: Record<string, unknown>; checkpoint_id: string | null }
  | {
      status: "failed";
      error: RunError;
      checkpoint_id: string | null;
      /** What was thrown, for the log (never stored: it may say anything). */
      cause?: unknown;
    };

/** How a run moves on: its first input, a person's answer, or a retry from the last checkpoint. */
export type RunStart = { input: unknown } | { resume: unknown } | { retry: true };

export interface RunOptions {
  deps: WorkflowDeps;
  /** The lease this execution holds on the run; a fenced checkpointer writes only under it. */
  lease?: Lease;
  signal?: AbortSignal;
  /** Records this execution's Polar writes; absent: each write looks at Polar first. */
  journal?: WriteJournal;
  /** Each node's update as it is checkpointed (server-sent events, logs). */
  onNodeUpdate?: (node: string, update: unknown) => void;
}

type Compiled = ReturnType<Workflow["build"]>;

export function runConfig(
  runId: string,
  options: RunOptions,
): LangGraphRunnableConfig & { durability: "sync" } {
  return {
    configurable: {
      thread_id: runId,
      ...options.deps,
      ...(options.lease ? { [LEASE_KEY]: options.lease } : {}),
      ...(options.journal ? { [JOURNAL_KEY]: options.journal } : {}),
    },
    durability: "sync",
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

/** Checks a resume payload against the run's pending interrupt, before anything runs. */
export function checkResume(
  pending: PendingInterrupt | null,
  resume: unknown,
  interruptId?: string,
) {
  if (!pending) throw new ResumeRejectedError("the run is not waiting for an answer");
  if (interruptId !== undefined && interruptId !== pending.id) {
    throw new ResumeRejectedError(
      `interrupt ${interruptId} is not the pending one (${pending.id})`,
    );
  }
  const checked = validate(resumeSchemaFor(pending), resume, ["resume"]);
  if (!checked.success) {
    const { issues } = checked;
    throw new ResumeRejectedError(
      `resume does not fit the ${pending.kind} at ${pending.node}: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
      issues,
    );
  }
  return checked.data;
}

export async function advanceRun(
  workflow: Workflow,
  graph: Compiled,
  runId: string,
  start: RunStart,
  options: RunOptions,
): Promise<StepResult> {
  const config = runConfig(runId, options);
  const graphInput =
    "input" in start
      ? { input: start.input }
      : "resume" in start
        ? new Command({ resume: start.resume })
        : null;
  try {
    const stream = await graph.stream(graphInput as never, { ...config, streamMode: "updates" });
    for await (const chunk of stream) {
      for (const [node, update] of Object.entries(chunk as Record<string, unknown>)) {
        if (node !== "__interrupt__") options.onNodeUpdate?.(node, update);
      }
    }
  } catch (error) {
    const snapshot = await graph.getState(config);
    return {
      status: "failed",
      error: classifyRunError(error),
      checkpoint_id: snapshot.config.configurable?.checkpoint_id ?? null,
      cause: error,
    };
  }
  return describeRun(workflow, graph, runId);
}

/** Where a run stands according to its latest checkpoint. */
export async function describeRun(
  workflow: Workflow,
  graph: Compiled,
  runId: string,
): Promise<StepResult> {
  const snapshot = await graph.getState({ configurable: { thread_id: runId } });
  const checkpointId = (snapshot.config.configurable?.checkpoint_id as string | undefined) ?? null;
  const pending = pendingInterrupt(snapshot.tasks);
  if (pending) return { status: "interrupted", interrupt: pending, checkpoint_id: checkpointId };
  if (snapshot.next.length === 0) {
    return {
      status: "completed",
      output: workflow.output(snapshot.values),
      checkpoint_id: checkpointId,
    };
  }
  return {
    status: "failed",
    error: {
      code: "internal",
      message: `run stopped before ${snapshot.next.join(", ")}`,
      retryable: true,
    },
    checkpoint_id: checkpointId,
  };
}

/** The id of the interrupt the run's latest checkpoint waits on, if any. */
export async function pendingInterruptId(graph: Compiled, runId: string): Promise<string | null> {
  const snapshot = await graph.getState({ configurable: { thread_id: runId } });
  return pendingInterrupt(snapshot.tasks)?.id ?? null;
}

function pendingInterrupt(
  tasks: readonly { interrupts: readonly { id?: string; value?: unknown }[] }[],
) {
  for (const task of tasks) {
    const first = task.interrupts[0];
    if (first?.id) return { id: first.id, ...(first.value as InterruptRequest) };
  }
  return null;
}

export function classifyRunError(error: unknown): RunError {
  if (error instanceof PolarGatewayError) {
    const code = errorCodeOf(error.code) ?? error.code;
    return { code, message: error.message, retryable: error.retryable };
  }
  if (error instanceof WorkflowInputError)
    return { code: error.code, message: error.message, retryable: false };
  if (error instanceof LeaseLostError) {
    return { code: LEASE_LOST, message: error.message, retryable: true };
  }
  if (isStoreUnavailable(error)) {
    return { code: STORE_UNAVAILABLE, message: "the store did not answer", retryable: true };
  }
  if (error instanceof Error && error.name === "AbortError") {
    return { code: "cancelled", message: "the run was cancelled", retryable: false };
  }
  // Unexpected: its text may quote anything (a query, a library's internals). The record says
  // what happened in our words, and the id that finds the details in the log.
  return {
    code: "internal",
    message: "An unexpected error stopped the run; the service's log has the details.",
    retryable: false,
    error_id: randomUUID(),
  };
}
