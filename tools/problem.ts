/**
 * How a failed tool call reads as an RFC 9457 problem, over REST and MCP alike, by the one code
 * table (`lib/errors.ts`): with the members an agent needs to decide what to do next.
 */
import {
  DomainError,
  ERRORS,
  type ErrorSpec,
  errorCodeOf,
  type Problem,
  polarProblem,
  problemFor,
} from "../lib/errors.ts";
import { PolarGatewayError } from "../polar/errors.ts";
import { ToolRunFailedError } from "./errors.ts";

export type ToolProblem = Problem & {
  code?: string;
  retryable?: boolean;
  retry_after?: number;
  run_id?: string;
};

/** The problem a failed tool call answers; null: not a failure a caller is told about. */
export function toolProblem(error: unknown): ToolProblem | null {
  if (error instanceof ToolRunFailedError) {
    const { run } = error;
    const failure = run.error;
    // The run failed as its error's code says (Polar down: 503, …); anything else is ours.
    const code = failure ? errorCodeOf(failure.code) : null;
    return {
      ...problemFor("run_failed", error.message, { status: code ? ERRORS[code].status : 500 }),
      ...(failure ? { code: failure.code, retryable: failure.retryable } : {}),
      run_id: run.run_id,
    };
  }
  if (error instanceof DomainError) {
    const body = problemFor(error.code, error.message, { errors: error.issues });
    return error.code === "tool_refused" ? { ...body, retryable: false } : body;
  }
  if (error instanceof PolarGatewayError) {
    const body = polarProblem(error);
    if (errorCodeOf(error.code) !== "invalid_input") return body;
    // Polar's own rules, checked before sending: the caller's arguments are at fault.
    return {
      ...body,
      title: ERRORS.invalid_arguments.title,
      errors: body.errors?.map((issue) => ({ ...issue, path: `arguments.${issue.path}` })),
    };
  }
  return null;
}

/** Whether MCP answers the error as a JSON-RPC invalid-params error rather than a tool result. */
export function isInvalidParams(error: unknown): error is DomainError {
  return error instanceof DomainError && (ERRORS[error.code] as ErrorSpec).mcp === "invalid_params";
}
