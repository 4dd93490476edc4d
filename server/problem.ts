/**
 * The one error model of the HTTP API: RFC 9457 problem details. Anything in the server may
 * throw a `ProblemError`; the errors plugin turns it (and every other error) into
 * `application/problem+json`.
 */
import { STATUS_CODES } from "node:http";
import { z } from "zod";
import type { FieldIssue } from "../lib/validation.ts";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export const Problem = z
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
  .meta({ id: "Problem", description: "RFC 9457 problem details." });
export type Problem = z.infer<typeof Problem>;

/** Problem kinds that say more than their status code. */
export const PROBLEM_TYPES = {
  validation: "urn:polar-flows:problem:validation",
  resumeRejected: "urn:polar-flows:problem:resume-rejected",
  runConflict: "urn:polar-flows:problem:run-conflict",
  idempotencyKeyReused: "urn:polar-flows:problem:idempotency-key-reused",
  idempotencyKeyInFlight: "urn:polar-flows:problem:idempotency-key-in-flight",
  rateLimited: "urn:polar-flows:problem:rate-limited",
  polarRateLimited: "urn:polar-flows:problem:polar-rate-limited",
  polarUnavailable: "urn:polar-flows:problem:polar-unavailable",
  polarRejected: "urn:polar-flows:problem:polar-rejected",
  toolRefused: "urn:polar-flows:problem:tool-refused",
  runFailed: "urn:polar-flows:problem:run-failed",
} as const;

export class ProblemError extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly errors: FieldIssue[] | undefined;

  constructor(
    status: number,
    detail: string,
    options: { type?: string; title?: string; errors?: FieldIssue[] } = {},
  ) {
    super(detail);
    this.name = "ProblemError";
    this.status = status;
    this.type = options.type ?? "about:blank";
    this.title = options.title ?? STATUS_CODES[status] ?? "Error";
    this.errors = options.errors;
  }

  toProblem(): Problem {
    return problem(this.status, this.message, {
      type: this.type,
      title: this.title,
      errors: this.errors,
    });
  }
}

export function problem(
  status: number,
  detail: string,
  options: { type?: string; title?: string; errors?: FieldIssue[] } = {},
): Problem {
  return {
    type: options.type ?? "about:blank",
    title: options.title ?? STATUS_CODES[status] ?? "Error",
    status,
    detail,
    ...(options.errors && options.errors.length > 0 ? { errors: options.errors } : {}),
  };
}

export const notFound = (detail: string) => new ProblemError(404, detail);

export const invalid = (detail: string, errors: FieldIssue[]) =>
  new ProblemError(400, detail, {
    type: PROBLEM_TYPES.validation,
    title: "Invalid request",
    errors,
  });

export const conflict = (detail: string, type: string = PROBLEM_TYPES.runConflict) =>
  new ProblemError(409, detail, { type });
