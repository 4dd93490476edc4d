/**
 * What the run core answers, as zod schemas (the REST API's OpenAPI document and the tools'
 * answer schemas are made from them), and what it is asked, as plain types.
 */
import { z } from "zod";
import type { Actor } from "../lib/actor.ts";
import { RUN_STATUSES, type RunAnswer, type RunError, type RunRecord } from "../storage/index.ts";

export const RunStatus = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatus>;

export const RunId = z.uuid({ error: "must be a run id (a UUID)" });

/** LangGraph checkpoint ids are UUIDs (v6); the check only keeps out what no store would hold. */
export const CheckpointId = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,64}$/, { error: "must be a checkpoint id" });

export const JsonObject = z.record(z.string(), z.unknown());

export const Interrupt = z
  .looseObject({
    id: z.string(),
    node: z.string(),
    kind: z.enum(["approval", "choice", "clarification"]),
    message: z.string(),
    proposed_action: JsonObject,
    resume_schema: JsonObject.describe(
      "JSON Schema of the `resume` payload this interrupt accepts.",
    ),
    options: z.array(z.object({ id: z.string(), label: z.string() })).optional(),
  })
  .meta({ id: "Interrupt", description: "What the run waits for a person to decide." });

/** How a run failed (`RunError`), as the API shows it. */
export const RunErrorView = z
  .looseObject({
    code: z.string(),
    message: z.string(),
    retryable: z.boolean(),
    error_id: z
      .string()
      .optional()
      .describe("An unexpected error: the id under which the service's log has its details."),
  })
  .meta({ id: "RunError" }) satisfies z.ZodType<RunError>;

export const Answer = z
  .object({
    interrupt_id: z.string(),
    node: z.string(),
    kind: z.string(),
    action: z.enum(["approved", "rejected", "answered"]),
    answered_by: z.string().describe("The name of the key that answered."),
    answered_at: z.string(),
    note: z.string().nullable(),
    resume: z.unknown().describe("The resume payload as given."),
  })
  .meta({ id: "Answer", description: "A person's answer to one of the run's interrupts." });
export type Answer = z.infer<typeof Answer>;

export const Run = z
  .object({
    run_id: z.string(),
    workflow: z.string(),
    status: RunStatus,
    input: JsonObject,
    metadata: JsonObject,
    interrupt: Interrupt.nullable(),
    output: JsonObject.nullable(),
    error: RunErrorView.nullable(),
    checkpoint_id: z.string().nullable(),
    answers: z.array(Answer).describe("Every answer given to the run's interrupts, oldest first."),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "Run" });
export type Run = z.infer<typeof Run>;

/** A run record as the API shows it: no tenant, no idempotency bookkeeping. */
export function runView(record: RunRecord, answers: readonly RunAnswer[] = []): Run {
  return {
    run_id: record.run_id,
    workflow: record.workflow,
    status: record.status,
    input: record.input as Record<string, unknown>,
    metadata: record.metadata,
    interrupt: record.interrupt as Run["interrupt"],
    output: record.output as Run["output"],
    error: record.error as Run["error"],
    checkpoint_id: record.checkpoint_id,
    answers: answers.map(({ run_id: _runId, ...answer }) => answer),
    created_at: record.created_at,
    updated_at: record.updated_at,
  };
}

export const Metadata = JsonObject.describe(
  "Free-form JSON kept with the run (your own references: ticket ids, who asked).",
);

export const CheckpointSummary = z.object({
  checkpoint_id: z.string(),
  parent_checkpoint_id: z.string().nullable(),
  step: z.int(),
  source: z.string(),
  ran: z.array(z.string()).describe("The nodes whose results produced this checkpoint."),
  next: z.array(z.string()),
  created_at: z.string(),
});
export type CheckpointSummary = z.infer<typeof CheckpointSummary>;

export const CheckpointState = z.object({
  checkpoint_id: z.string(),
  parent_checkpoint_id: z.string().nullable(),
  step: z.int(),
  values: JsonObject,
  next: z.array(z.string()),
  interrupts: z.array(JsonObject),
  created_at: z.string(),
});
export type CheckpointState = z.infer<typeof CheckpointState>;

export const WorkflowView = z.object({
  name: z.string(),
  description: z.string(),
  input_schema: JsonObject.describe("JSON Schema of `input`."),
  nodes: z.array(z.string()),
  mermaid: z.string(),
});
export type WorkflowView = z.infer<typeof WorkflowView>;

/** Starting a run of a workflow. */
export interface StartRun {
  /** The workflow's input, checked against its schema. */
  input: Record<string, unknown>;
  /** Free-form JSON kept with the run. */
  metadata: Record<string, unknown>;
  /** Answer once the run pauses or ends (bounded wait), rather than at once. */
  wait: boolean;
}

export interface StartOptions {
  /** Repeating the start with the same key and request answers the first run. */
  idempotencyKey?: string | undefined;
  /** polar-flows itself starts the run (a tool write), so internal workflows may run. */
  internal?: boolean;
  /** The caller's key; only an approver may start a run with `require_approval: false`. */
  actor?: Actor;
  /**
   * The new run's id, chosen by the caller (a ledger that recorded it first, a LangGraph thread
   * created before its first run); default random.
   */
  runId?: string;
}

/** What a caller's request became once interpreted (free text → a workflow and its start). */
export interface InterpretedStart {
  workflow: string;
  request: StartRun;
}

/**
 * Answering the pending interrupt (`resume` given), or retrying a run that failed with a
 * retryable error (`resume` left out).
 */
export interface ResumeRun {
  resume?: unknown;
  /** The interrupt the answer is meant for; refused when another one is pending. */
  interrupt_id?: string;
  wait: boolean;
}

export interface ListRuns {
  workflow?: string;
  status?: RunStatus;
  customer?: string;
  limit: number;
  cursor?: string;
}

export interface RunPage {
  runs: Run[];
  next_cursor: string | null;
}
