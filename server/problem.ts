/**
 * The one error model of the HTTP API: RFC 9457 problem details. Anything in the server may
 * throw a `ProblemError`; the errors plugin turns it (and every other error) into
 * `application/problem+json`.
 */
import { STATUS_CODES } from "node:http";
import { z } from "zod";
import type { FieldIssue } from "../lib/validation.ts";
import type { PolarGatewayError } from "../polar/errors.ts";

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
  requestUnclear: "urn:polar-flows:problem:request-unclear",
  approverRequired: "urn:polar-flows:problem:approver-required",
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

export const approverRequired = (detail: string) =>
  new ProblemError(403, detail, {
    type: PROBLEM_TYPES.approverRequired,
    title: "An approver key is required",
  });

export const notFound = (detail: string) => new ProblemError(404, detail);

export const invalid = (detail: string, errors: FieldIssue[]) =>
  new ProblemError(400, detail, {
    type: PROBLEM_TYPES.validation,
    title: "Invalid request",
    errors,
  });

export const conflict = (detail: string, type: string = PROBLEM_TYPES.runConflict) =>
  new ProblemError(409, detail, { type });

export type PolarProblem = Problem & { code: string; retryable: boolean; retry_after?: number };

/**
 * How the gateway's errors read as problems, with the members a client needs to decide what
 * to do next (RFC 9457 extensions): `code`, `retryable`, and `retry_after` seconds.
 */
export function polarProblem(error: PolarGatewayError): PolarProblem {
  const extensions = { code: error.code, retryable: error.retryable };
  switch (error.code) {
    case "polar_rate_limited":
      return {
        ...problem(503, `${error.message}. Nothing was waited for: try again after the wait.`, {
          type: PROBLEM_TYPES.polarRateLimited,
          title: "Polar's request budget is spent",
        }),
        ...extensions,
        retry_after: Math.max(1, error.retryAfterSeconds ?? 1),
      };
    case "polar_unavailable":
      return {
        ...problem(503, error.message, { type: PROBLEM_TYPES.polarUnavailable }),
        ...extensions,
        ...(error.retryAfterSeconds !== null ? { retry_after: error.retryAfterSeconds } : {}),
      };
    case "invalid_request":
      return {
        ...problem(400, error.message, { type: PROBLEM_TYPES.validation, errors: error.issues }),
        ...extensions,
      };
    default:
      return {
        ...problem(502, error.message, {
          type: PROBLEM_TYPES.polarRejected,
          errors: error.issues,
        }),
        ...extensions,
      };
  }
}
