/**
 * Workflow tools: start a workflow as a run, or read a run. The approval a workflow asks for
 * stays on (unless the caller's key may skip it); no tool answers an approval.
 */
import { z } from "zod";
import { OverageInput } from "../graphs/overage-remediation/state.ts";
import { OffboardingInput } from "../graphs/subscription-offboarding/state.ts";
import { validate } from "../lib/validation.ts";
import { Run, RunId } from "../runs/schemas.ts";
import { answerFromRun } from "./answers.ts";
import { ToolArgumentsError } from "./errors.ts";
import type { ToolAnswer, ToolCallContext, WorkflowTool } from "./types.ts";

const WorkflowOutput = z
  .record(z.string(), z.unknown())
  .describe("The run's output (see GET /v1/workflows), once it has ended.");

/** The workflow's input without `require_approval`: that is the caller's key's to decide. */
const { require_approval: _overageApproval, ...overageShape } = OverageInput.shape;
const overageInput = z.strictObject(overageShape);

const offboardingInput = OffboardingInput.omit({ require_approval: true });

async function startWorkflow(
  toolName: string,
  workflow: string,
  schema: z.ZodType,
  args: Record<string, unknown>,
  context: ToolCallContext,
): Promise<ToolAnswer> {
  const input = { ...args, require_approval: !context.skipApproval };
  // The workflow's own rules (cross-field ones too), named as the caller's arguments.
  const checked = validate(schema, input, ["arguments"]);
  if (!checked.success) throw new ToolArgumentsError(toolName, checked.issues);
  const { run } = await context.runs.start(
    context.tenant,
    workflow,
    { input, wait: true, metadata: { tool: toolName } },
    { idempotencyKey: context.idempotencyKey },
  );
  return answerFromRun(run);
}

export const startOverageRemediation: WorkflowTool<typeof overageInput, typeof WorkflowOutput> = {
  kind: "workflow",
  name: "start_overage_remediation",
  description:
    "Start the overage-remediation workflow for one customer: it checks their plan and usage and, when usage is over the threshold, prepares an upgrade checkout that a person approves before it is created. " +
    "Give `limit` (units the plan includes), or `usage.meter_id` so the limit is read from the customer's meter credits. " +
    "Answers the run: `pending_approval` while a person decides, or `completed` with the outcome (under_threshold, no_active_subscription…). Do not start it twice for the same customer; use get_run to follow it.",
  input: overageInput,
  output: WorkflowOutput,
  invoke: (args, context) =>
    startWorkflow("start_overage_remediation", "overage-remediation", OverageInput, args, context),
};

export const startSubscriptionOffboarding: WorkflowTool<
  typeof offboardingInput,
  typeof WorkflowOutput
> = {
  kind: "workflow",
  name: "start_subscription_offboarding",
  description:
    "Start the subscription-offboarding workflow: a customer's subscription is scheduled to end at the end of its period (no further billing, access kept until then), after a person approves. " +
    "Pass the customer's own words as `request` when you have them; anything but a plain cancellation at the period's end waits for a person. " +
    "It never cancels immediately, revokes or deletes. Answers the run (`pending_approval`, `pending_input` or `completed`); use get_run to follow it.",
  input: offboardingInput,
  output: WorkflowOutput,
  invoke: (args, context) =>
    startWorkflow(
      "start_subscription_offboarding",
      "subscription-offboarding",
      OffboardingInput,
      args,
      context,
    ),
};

const getRunInput = z.strictObject({
  run_id: RunId.describe("The run id a tool call answered with."),
});

export const getRun: WorkflowTool<typeof getRunInput, typeof Run> = {
  kind: "workflow",
  readOnly: true,
  name: "get_run",
  description:
    "Read a run that a tool call started (yours only): its status (interrupted while a person decides, completed, failed…), the pending approval, and its output. " +
    "Use it to follow a write or a workflow after a `pending_approval` or `running` answer. Read-only: it cannot approve, resume or cancel a run — people do that.",
  input: getRunInput,
  output: Run,
  async invoke(args, context) {
    const run = await context.runs.get(context.tenant, args.run_id);
    return { status: "completed", result: run, run_id: run.run_id };
  },
};
