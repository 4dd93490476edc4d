/**
 * The shapes of the runs API (DESIGN §6), as zod schemas: they validate requests, type the
 * handlers and become the OpenAPI document.
 */
import { z } from "zod";
import { RUN_STATUSES, type RunAnswer, type RunRecord } from "../../storage/index.ts";

export const RunStatus = z.enum(RUN_STATUSES);

export const RunId = z.uuid({ error: "must be a run id (a UUID)" });

/** LangGraph checkpoint ids are UUIDs (v6); the check only keeps out what no store would hold. */
export const CheckpointId = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,64}$/, { error: "must be a checkpoint id" });

const JsonObject = z.record(z.string(), z.unknown());

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

export const RunError = z
  .looseObject({ code: z.string(), message: z.string(), retryable: z.boolean() })
  .meta({ id: "RunError" });

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
    error: RunError.nullable(),
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

export const StartRunBody = z.strictObject({
  input: JsonObject.describe("The workflow's input; its JSON Schema is in `GET /v1/workflows`."),
  wait: z
    .boolean()
    .default(true)
    .describe("Answer when the run pauses or ends (bounded wait), rather than at once."),
  metadata: Metadata.default({}),
});
export type StartRunBody = z.infer<typeof StartRunBody>;

export const ResumeBody = z.strictObject({
  resume: z
    .unknown()
    .optional()
    .describe(
      "The answer to the pending interrupt (see its `resume_schema`). Leave it out to retry a run that failed with a retryable error.",
    ),
  interrupt_id: z.string().min(1).max(200).optional(),
  wait: z.boolean().default(true),
});
export type ResumeBody = z.infer<typeof ResumeBody>;

export const ListRunsQuery = z.object({
  workflow: z
    .string()
    .regex(/^[a-z0-9-]{1,100}$/, { error: "must be a workflow name" })
    .optional(),
  status: RunStatus.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(500).optional(),
});

export const RunPage = z.object({ runs: z.array(Run), next_cursor: z.string().nullable() });

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

export const ListCheckpointsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  before: CheckpointId.optional().describe("A checkpoint id: list the ones older than it."),
});

export const WorkflowView = z.object({
  name: z.string(),
  description: z.string(),
  input_schema: JsonObject.describe("JSON Schema of `input`."),
  nodes: z.array(z.string()),
  mermaid: z.string(),
});
export type WorkflowView = z.infer<typeof WorkflowView>;

/** The `Idempotency-Key` header (IETF draft): a structured-field string, or a bare key. */
export const IdempotencyHeaders = z.looseObject({
  "idempotency-key": z
    .string()
    .min(1)
    .max(255)
    // The IETF draft sends it as a structured-field string ("…"); bare keys are taken too.
    .transform((key) =>
      key.length >= 2 && key.startsWith('"') && key.endsWith('"') ? key.slice(1, -1) : key,
    )
    .pipe(z.string().min(1, { error: "must not be empty" }))
    .optional()
    .describe("Repeat a request safely: the same key and body answer the same run."),
});
