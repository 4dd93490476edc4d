/**
 * How tool failures read as problems, from the one code table: invalid input is a 400 whether
 * Polar's rules refused the arguments before sending or a run failed on its input; a run failed
 * by Polar answers Polar's status; MCP rejects only an unknown tool as invalid params.
 */
import { describe, expect, test } from "vitest";
import { DomainError, ERRORS, type ErrorCode, problemFor, problemType } from "../../lib/errors.ts";
import { invalidRequest, PolarGatewayError } from "../../polar/errors.ts";
import { ResumeRejectedError } from "../../runs/errors.ts";
import type { Run } from "../../runs/schemas.ts";
import { ToolRunFailedError, UnknownToolError } from "../../tools/errors.ts";
import { isInvalidParams, toolProblem } from "../../tools/problem.ts";

function failedRun(code: string, retryable = false): Run {
  return {
    run_id: "6f1c7a52-5d7e-4a55-9a3e-2f0b1c9d8e7f",
    workflow: "overage-remediation",
    status: "failed",
    input: {},
    metadata: {},
    answers: [],
    interrupt: null,
    output: null,
    error: { code, message: "it failed", retryable },
    checkpoint_id: null,
    created_at: "2026-01-01T00:00:00.000Z",
    updated_at: "2026-01-01T00:00:00.000Z",
  };
}

describe("tool problems", () => {
  test("invalid input is a 400 both before Polar and in a failed run", () => {
    const refused = toolProblem(
      invalidRequest([{ path: "customer", message: "one of id or external_id" }]),
    );
    expect(refused).toMatchObject({
      status: 400,
      type: problemType("validation"),
      title: "Invalid arguments",
      errors: [{ path: "arguments.customer" }],
    });
    const failed = toolProblem(new ToolRunFailedError(failedRun("invalid_input")));
    expect(failed).toMatchObject({
      status: 400,
      type: problemType("run-failed"),
      title: "The run failed",
      code: "invalid_input",
      retryable: false,
    });
  });

  test.each([
    ["polar_rate_limited", 503],
    ["polar_unavailable", 503],
    ["polar_rejected", 502],
    ["polar_invalid_response", 502],
    ["internal", 500],
    ["cancelled", 500],
  ])("a run failed with %s answers %i", (code, status) => {
    expect(toolProblem(new ToolRunFailedError(failedRun(code)))?.status).toBe(status);
  });

  test("every domain error answers its table row, with the fields at fault", () => {
    for (const code of Object.keys(ERRORS) as ErrorCode[]) {
      const issues = [{ path: "input.limit", message: "must be positive" }];
      expect(toolProblem(new DomainError(code, "detail", issues))).toMatchObject(
        problemFor(code, "detail", { errors: issues }),
      );
    }
    expect(toolProblem(new ResumeRejectedError("no", []))).toMatchObject({
      status: 400,
      type: problemType("resume-rejected"),
      title: "The answer does not fit the interrupt",
    });
  });

  test("Polar's own failures keep their code and retry hints", () => {
    const limited = new PolarGatewayError("polar_rate_limited", "budget spent", {
      retryAfterSeconds: 7,
    });
    expect(toolProblem(limited)).toMatchObject({
      status: 503,
      code: "polar_rate_limited",
      retryable: true,
      retry_after: 7,
    });
  });

  test("MCP: only an unknown tool is a JSON-RPC invalid-params error", () => {
    expect(isInvalidParams(new UnknownToolError("delete_customer"))).toBe(true);
    expect(isInvalidParams(new ToolRunFailedError(failedRun("internal")))).toBe(false);
    expect(isInvalidParams(new ResumeRejectedError("no"))).toBe(false);
    expect(toolProblem(new Error("ours"))).toBeNull();
  });
});
