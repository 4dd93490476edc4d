/** How a tool call fails before or besides Polar (Polar's own errors are `PolarGatewayError`). */
import { DomainError } from "../lib/errors.ts";
import type { FieldIssue } from "../lib/validation.ts";
import type { Run } from "../runs/schemas.ts";

export class UnknownToolError extends DomainError {
  readonly tool: string;
  constructor(tool: string) {
    super("unknown_tool", `There is no tool named "${tool}"; GET /v1/tools lists them.`);
    this.name = "UnknownToolError";
    this.tool = tool;
  }
}

/** Arguments that do not fit the tool's schema: nothing was sent to Polar. */
export class ToolArgumentsError extends DomainError {
  constructor(tool: string, issues: FieldIssue[]) {
    super(
      "invalid_arguments",
      `The arguments do not fit tool ${tool}; nothing was sent to Polar: ${issues
        .map((issue) => `${issue.path}: ${issue.message}`)
        .join("; ")}`,
      issues,
    );
    this.name = "ToolArgumentsError";
  }
}

/** Valid arguments the tool will not carry out as asked (say, a sum too large to read). */
export class ToolRefusedError extends DomainError {
  constructor(message: string, issues: FieldIssue[] = []) {
    super("tool_refused", message, issues);
    this.name = "ToolRefusedError";
  }
}

/** The run a write or workflow tool started failed; the run keeps its checkpoint. */
export class ToolRunFailedError extends DomainError {
  readonly run: Run;
  constructor(run: Run) {
    const error = run.error;
    super(
      "run_failed",
      `Run ${run.run_id} failed${error ? ` (${error.code}): ${error.message}` : ""}${
        error?.retryable
          ? ` It can be retried from its last checkpoint: POST /v1/runs/${run.run_id}/resume with {}.`
          : ""
      }`,
    );
    this.name = "ToolRunFailedError";
    this.run = run;
  }
}
