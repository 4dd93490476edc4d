/**
 * The request shapes of the runs API, as zod schemas: they validate requests, type the handlers
 * and become the OpenAPI document. What the run core answers is in `runs/schemas.ts`.
 */
import { z } from "zod";
import { identifier } from "../../lib/validation.ts";
import { CheckpointId, JsonObject, Metadata, Run, RunStatus } from "../../runs/schemas.ts";

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
  interrupt_id: identifier(200)
    .optional()
    .describe(
      "The interrupt the answer is meant for. An answer arriving after the run moved on to another interrupt is a 409 and changes nothing.",
    ),
  wait: z.boolean().default(true),
});
export type ResumeBody = z.infer<typeof ResumeBody>;

export const ListRunsQuery = z.object({
  workflow: z
    .string()
    .regex(/^[a-z0-9-]{1,100}$/, { error: "must be a workflow name" })
    .optional(),
  status: RunStatus.optional(),
  customer: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe(
      "Runs for this customer, as the input names it: its Polar id or external id (exact).",
    ),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(500).optional(),
});

export const RunPage = z.object({ runs: z.array(Run), next_cursor: z.string().nullable() });

export const ListCheckpointsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  before: CheckpointId.optional().describe("A checkpoint id: list the ones older than it."),
});

/** The `Idempotency-Key` header (IETF draft): a structured-field string, or a bare key. */
export const IdempotencyHeaders = z.looseObject({
  "idempotency-key": identifier(255)
    // The IETF draft sends it as a structured-field string ("…"); bare keys are taken too.
    .transform((key) =>
      key.length >= 2 && key.startsWith('"') && key.endsWith('"') ? key.slice(1, -1) : key,
    )
    .pipe(z.string().min(1, { error: "must not be empty" }))
    .optional()
    .describe("Repeat a request safely: the same key and body answer the same run."),
});
