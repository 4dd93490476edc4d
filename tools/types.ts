/**
 * What a tool is. Three kinds, by how a call reaches Polar:
 * - `read`: straight through the gateway (paced; never waits long for the budget);
 * - `write`: a run of the `tool-write` graph (validate → approval → one Polar write), so every
 *   write is checkpointed, idempotent, listed in `GET /v1/runs` and resumable after a crash
 *   (the write tools live in nodes/writes/, under the graph that runs them);
 * - `workflow`: starts or reads a run of a workflow.
 * No kind deletes or revokes anything, and no tool answers an approval: that stays with people.
 */
import type { z } from "zod";
import type { WriteTool } from "../nodes/writes/types.ts";
import type { PolarGateway } from "../polar/gateway.ts";
import type { Run, StartOptions, StartRun } from "../runs/schemas.ts";

interface ToolBase<Input extends z.ZodType, Output extends z.ZodType> {
  name: string;
  /** For a model: what the tool does, when to use it, what it must not be used for. */
  description: string;
  /** Validates the arguments before anything reaches Polar; its JSON Schema is what models see. */
  input: Input;
  /** The `result` of a completed call. */
  output: Output;
}

export interface ReadContext {
  polar: PolarGateway;
  now: () => Date;
}

export interface ReadTool<Input extends z.ZodType = z.ZodType, Output extends z.ZodType = z.ZodType>
  extends ToolBase<Input, Output> {
  kind: "read";
  run(args: z.output<Input>, context: ReadContext): Promise<z.output<Output>>;
}

/** Runs, as the tools need them (the run service provides this). */
export interface ToolRuns {
  start(
    tenant: string,
    workflow: string,
    request: StartRun,
    options?: StartOptions,
  ): Promise<{ run: Run; created: boolean }>;
  get(tenant: string, runId: string): Promise<Run>;
}

export interface ToolCallContext {
  /** Whose runs the call creates and sees. */
  tenant: string;
  /** For read tools: Polar through the gateway, failing fast when the budget is spent. */
  polar: PolarGateway;
  runs: ToolRuns;
  /** The caller's key may write without a person's approval (configured per tenant). */
  skipApproval: boolean;
  /** Repeating a call with the same key answers the first call's run: one write. */
  idempotencyKey?: string;
  now?: () => Date;
}

export interface WorkflowTool<
  Input extends z.ZodType = z.ZodType,
  Output extends z.ZodType = z.ZodType,
> extends ToolBase<Input, Output> {
  kind: "workflow";
  /** Reads a run and changes nothing. */
  readOnly?: boolean;
  invoke(args: z.output<Input>, context: ToolCallContext): Promise<ToolAnswer>;
}

export type Tool = ReadTool | WriteTool | WorkflowTool;

/** Whether a call changes nothing (MCP's `readOnlyHint`). */
export function isReadOnly(tool: Tool): boolean {
  return tool.kind === "read" || (tool.kind === "workflow" && tool.readOnly === true);
}

export type ToolStatus =
  | "completed"
  | "pending_approval"
  | "pending_input"
  | "running"
  | "cancelled";

/** What every tool call answers, over REST and MCP alike. */
export interface ToolAnswer {
  status: ToolStatus;
  result?: unknown;
  run_id?: string;
  run?: Run;
  /** What happens next, in a sentence a model can act on. */
  note?: string;
}
