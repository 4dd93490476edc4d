/**
 * The one error model for everything that goes wrong between polar-flows and Polar.
 * `retryable` errors park a run with its checkpoint intact; the others end it.
 */
export type PolarErrorCode =
  | "polar_rate_limited"
  | "polar_unavailable"
  | "polar_rejected"
  | "polar_invalid_response"
  | "invalid_request";

import type { FieldIssue } from "../lib/validation.ts";

export class PolarGatewayError extends Error {
  readonly code: PolarErrorCode;
  readonly retryable: boolean;
  /** HTTP status Polar answered with, when it answered. */
  readonly status: number | null;
  /** Seconds to wait before trying again (rate limits). */
  readonly retryAfterSeconds: number | null;
  /** Field-level problems: Polar's 422 `detail`, or our own validation before sending. */
  readonly issues: FieldIssue[];

  constructor(
    code: PolarErrorCode,
    message: string,
    options: {
      status?: number | null;
      retryAfterSeconds?: number | null;
      issues?: FieldIssue[];
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "PolarGatewayError";
    this.code = code;
    this.retryable = code === "polar_rate_limited" || code === "polar_unavailable";
    this.status = options.status ?? null;
    this.retryAfterSeconds = options.retryAfterSeconds ?? null;
    this.issues = options.issues ?? [];
  }

  /** Plain JSON for run records and API answers (never carries a token). */
  toJSON() {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.retryAfterSeconds !== null ? { retry_after_seconds: this.retryAfterSeconds } : {}),
      ...(this.issues.length > 0 ? { issues: this.issues } : {}),
    };
  }
}

export function invalidRequest(issues: FieldIssue[]): PolarGatewayError {
  const summary = issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ");
  return new PolarGatewayError(
    "invalid_request",
    `Invalid request, nothing sent to Polar: ${summary}`,
    {
      issues,
    },
  );
}
