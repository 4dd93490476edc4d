/** How a tool call fails before or besides Polar (Polar's own errors are `PolarGatewayError`). */
import type { FieldIssue } from "../lib/validation.ts";
import type { Run } from "../server/runs/schemas.ts";

export class UnknownToolError extends Error {
  readonly tool: string;
  constructor(tool: string) {
    super(`There is no tool named "${tool}"; GET /v1/tools lists them.`);
    this.name = "UnknownToolError";
    this.tool = tool;
  }
}

/** Arguments that do not fit the tool's schema: nothing was sent to Polar. */
export class ToolArgumentsError extends Error {
  readonly issues: FieldIssue[];
  constructor(tool: string, issues: FieldIssue[]) {
    super(
      `The arguments do not fit tool ${tool}; nothing was sent to Polar: ${issues
        .map((issue) => `${issue.path}: ${issue.message}`)
        .join("; ")}`,
    );
    this.name = "ToolArgumentsError";
    this.issues = issues;
  }
}

/** Valid arguments the tool will not carry out as asked (say, a sum too large to read). */
export class ToolRefusedError extends Error {
  readonly issues: FieldIssue[];
  constructor(message: string, issues: FieldIssue[] = []) {
    super(message);
    this.name = "ToolRefusedError";
    this.issues = issues;
  }
}

/** The run a write or workflow tool started failed; the run keeps its checkpoint. */
export class ToolRunFailedError extends Error {
  readonly run: Run;
  constructor(run: Run) {
    const error = run.error;
    super(
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
