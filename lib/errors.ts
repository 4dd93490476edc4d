/**
 * The one error model. Every failure a caller may be told about has a code; this table says how
 * each code reads as an RFC 9457 problem (status, type, title) and over MCP. The run core and the
 * tools throw `DomainError`s; the HTTP server and the MCP front end translate them with this
 * table and nothing else, so a code answers the same everywhere.
 */
import { STATUS_CODES } from "node:http";
import type { FieldIssue } from "./validation.ts";

export interface ErrorSpec {
  status: number;
  /** Appended to `urn:polar-flows:problem:`; none: `about:blank`, a plain HTTP status. */
  slug?: string;
  /** Default: the status's reason phrase. */
  title?: string;
  /** `invalid_params`: a JSON-RPC error over MCP; otherwise a tool result with `isError`. */
  mcp?: "invalid_params";
}

export const ERRORS = {
  // The run core.
  not_found: { status: 404 },
  unknown_workflow: { status: 404 },
  invalid_input: { status: 400, slug: "validation", title: "Invalid request" },
  conflict: { status: 409, slug: "run-conflict" },
  resume_rejected: {
    status: 400,
    slug: "resume-rejected",
    title: "The answer does not fit the interrupt",
  },
  idempotency_key_reused: { status: 422, slug: "idempotency-key-reused" },
  idempotency_key_in_flight: { status: 409, slug: "idempotency-key-in-flight" },
  // The tools.
  unknown_tool: { status: 404, mcp: "invalid_params" },
  invalid_arguments: { status: 400, slug: "validation", title: "Invalid arguments" },
  tool_refused: { status: 422, slug: "tool-refused" },
  run_failed: { status: 500, slug: "run-failed", title: "The run failed" },
  // Polar, through the gateway (its `invalid_request` is `invalid_input`: see `errorCodeOf`).
  polar_rate_limited: {
    status: 503,
    slug: "polar-rate-limited",
    title: "Polar's request budget is spent",
  },
  polar_unavailable: { status: 503, slug: "polar-unavailable" },
  polar_rejected: { status: 502, slug: "polar-rejected" },
  polar_invalid_response: { status: 502, slug: "polar-rejected" },
  // Only a person's key may settle a person's decision.
  approver_required: {
    status: 403,
    slug: "approver-required",
    title: "An approver key is required",
  },
  // Triggers (§10): a watch naming what Polar does not know; a webhook Polar did not sign.
  unknown_reference: {
    status: 422,
    slug: "unknown-reference",
    title: "Polar does not know what the request names",
  },
  webhook_unverified: {
    status: 403,
    slug: "webhook-unverified",
    title: "The webhook's signature does not verify",
  },
  // The HTTP front end's own.
  rate_limited: { status: 429, slug: "rate-limited", title: "Too many requests" },
  request_unclear: { status: 422, slug: "request-unclear" },
  // The store (a database restart or failover): nothing was half-written; try again.
  store_unavailable: { status: 503, slug: "store-unavailable", title: "The store is unavailable" },
  internal: { status: 500 },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERRORS, code);
}

/** A code of this table for any failure code: Polar's own `invalid_request` is invalid input. */
export function errorCodeOf(code: string): ErrorCode | null {
  if (code === "invalid_request") return "invalid_input";
  return isErrorCode(code) ? code : null;
}

/** A failure the caller is told about, by code; `issues` name the fields at fault. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly issues: FieldIssue[];

  constructor(code: ErrorCode, message: string, issues: FieldIssue[] = []) {
    super(message);
    this.name = "DomainError";
    this.code = code;
    this.issues = issues;
  }
}

/** RFC 9457 problem details. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldIssue[];
}

export function problemType(slug: string | undefined): string {
  return slug === undefined ? "about:blank" : `urn:polar-flows:problem:${slug}`;
}

/** A problem with a plain status (`about:blank`) or explicit type and title. */
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

/** The problem a code reads as; `status` overrides the table's (a failed run's own status). */
export function problemFor(
  code: ErrorCode,
  detail: string,
  options: { errors?: FieldIssue[]; status?: number } = {},
): Problem {
  const spec: ErrorSpec = ERRORS[code];
  return problem(options.status ?? spec.status, detail, {
    type: problemType(spec.slug),
    ...(spec.title ? { title: spec.title } : {}),
    ...(options.errors ? { errors: options.errors } : {}),
  });
}

/** What a problem about Polar adds for a client deciding what to do next (RFC 9457 extensions). */
export type PolarProblem = Problem & { code: string; retryable: boolean; retry_after?: number };

/** A gateway failure, as the gateway reports it (`PolarGatewayError`). */
export interface PolarFailure {
  code: string;
  message: string;
  retryable: boolean;
  retryAfterSeconds: number | null;
  issues: FieldIssue[];
}

/** How a Polar failure reads as a problem: by the table, with `code`, `retryable`, `retry_after`. */
export function polarProblem(error: PolarFailure): PolarProblem {
  const code = errorCodeOf(error.code) ?? "polar_rejected";
  const extensions = { code: error.code, retryable: error.retryable };
  if (code === "polar_rate_limited") {
    return {
      ...problemFor(code, `${error.message}. Nothing was waited for: try again after the wait.`),
      ...extensions,
      retry_after: Math.max(1, error.retryAfterSeconds ?? 1),
    };
  }
  return {
    ...problemFor(
      code,
      error.message,
      code === "polar_unavailable" ? {} : { errors: error.issues },
    ),
    ...extensions,
    ...(code === "polar_unavailable" && error.retryAfterSeconds !== null
      ? { retry_after: error.retryAfterSeconds }
      : {}),
  };
}
