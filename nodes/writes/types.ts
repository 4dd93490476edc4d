/**
 * A Polar write an agent may ask for. It is carried out as a run of the tool-write graph
 * (plan → a person's approval → the one write), and offered to agents by tools/ beside the
 * read and workflow tools — it has the same face as they do (name, description, schemas).
 */
import type { z } from "zod";
import type { NodeContext } from "../context.ts";

/** What a write will do, or why it ends before asking anyone (the customer does not exist…). */
export type PlanStep<Plan> = { plan: Plan } | { outcome: string; detail: string };

/** The result of a write: how it ended, and what Polar answered. */
export interface WriteResult {
  outcome: string;
  detail?: string;
  [key: string]: unknown;
}

export interface WriteTool<
  Input extends z.ZodType = z.ZodType,
  Plan = unknown,
  Output extends z.ZodType = z.ZodType,
> {
  kind: "write";
  name: string;
  /** For a model: what the tool does, when to use it, what it must not be used for. */
  description: string;
  /** Validates the arguments before anything reaches Polar; its JSON Schema is what models see. */
  input: Input;
  /** The `result` of a completed call. */
  output: Output;
  /** Checks and resolves what the write needs (reads only); the plan is checkpointed. */
  plan(args: z.output<Input>, context: NodeContext): Promise<PlanStep<Plan>>;
  /** What a person confirms before the write. */
  approval(plan: Plan): { message: string; proposed_action: Record<string, unknown> };
  /** The one Polar write, idempotent for the run (`context.runId`): safe to run again. */
  perform(plan: Plan, context: NodeContext): Promise<WriteResult>;
}
