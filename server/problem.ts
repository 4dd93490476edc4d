/**
 * The HTTP API's error answers: RFC 9457 problem details (`application/problem+json`). Domain
 * errors from the run core and the tools become problems by the one code table
 * (`lib/errors.ts`); what only HTTP knows (auth, its own rate limit, a malformed body) is thrown
 * as a `ProblemError`. The errors plugin turns every error into a problem.
 */
import { z } from "zod";
import { type ErrorCode, type Problem, problem, problemFor } from "../lib/errors.ts";
import type { FieldIssue } from "../lib/validation.ts";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** The OpenAPI shape of `Problem`. */
export const ProblemSchema = z
  .object({
    type: z
      .string()
      .describe("A URI naming the kind of problem; `about:blank` for plain HTTP statuses."),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe("The fields at fault, by path (`input.customer.external_id`)."),
  })
  .meta({ id: "Problem", description: "RFC 9457 problem details." }) satisfies z.ZodType<Problem>;

/** An answer only the HTTP layer gives: a plain status, or a code of the table. */
export class ProblemError extends Error {
  readonly problem: Problem;

  constructor(kind: number | ErrorCode, detail: string, errors?: FieldIssue[]) {
    super(detail);
    this.name = "ProblemError";
    this.problem =
      typeof kind === "number"
        ? problem(kind, detail)
        : problemFor(kind, detail, errors ? { errors } : {});
  }
}
