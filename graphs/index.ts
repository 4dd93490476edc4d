/** The catalogue of workflows polar-flows serves: name → input schema, graph and output. */
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import type { z } from "zod";
import { buildOverageRemediation } from "./overage-remediation/graph.ts";
import { OverageInput, overageOutput } from "./overage-remediation/state.ts";
import { buildSubscriptionOffboarding } from "./subscription-offboarding/graph.ts";
import { OffboardingInput, offboardingOutput } from "./subscription-offboarding/state.ts";
import { buildToolWrite } from "./tool-write/graph.ts";
import { TOOL_WRITE_WORKFLOW, ToolWriteInput, toolWriteOutput } from "./tool-write/state.ts";
import { buildUsageSweep } from "./usage-sweep/graph.ts";
import { USAGE_SWEEP_WORKFLOW, UsageSweepInput, usageSweepOutput } from "./usage-sweep/state.ts";

type CompiledWorkflow =
  | ReturnType<typeof buildOverageRemediation>
  | ReturnType<typeof buildSubscriptionOffboarding>
  | ReturnType<typeof buildToolWrite>
  | ReturnType<typeof buildUsageSweep>;

export interface Workflow {
  name: string;
  description: string;
  /** Started by polar-flows itself (the tools), not through `/v1/workflows`. */
  internal?: boolean;
  input: z.ZodType;
  build(checkpointer?: BaseCheckpointSaver): CompiledWorkflow;
  // biome-ignore lint/suspicious/noExplicitAny: each workflow reads its own state type
  output(state: any): Record<string, unknown>;
}

export const workflows: Record<string, Workflow> = {
  "overage-remediation": {
    name: "overage-remediation",
    description:
      "Spot a customer far over their plan's usage and offer an upgrade checkout, after a person approves.",
    input: OverageInput,
    build: buildOverageRemediation,
    output: overageOutput,
  },
  "subscription-offboarding": {
    name: "subscription-offboarding",
    description:
      "Schedule a subscription to end at the end of its period (no further billing, access kept), after a person approves.",
    input: OffboardingInput,
    build: buildSubscriptionOffboarding,
    output: offboardingOutput,
  },
  [TOOL_WRITE_WORKFLOW]: {
    name: TOOL_WRITE_WORKFLOW,
    description:
      "One write an agent asked for through a tool: checked, approved by a person (unless the caller's key may skip that), sent to Polar once.",
    internal: true,
    input: ToolWriteInput,
    build: buildToolWrite,
    output: toolWriteOutput,
  },
  [USAGE_SWEEP_WORKFLOW]: {
    name: USAGE_SWEEP_WORKFLOW,
    description:
      "A watch's sweep: every customer of its meter, 100 per Polar request, and one overage-remediation per customer over the threshold and billing period.",
    internal: true,
    input: UsageSweepInput,
    build: buildUsageSweep,
    output: usageSweepOutput,
  },
};

export function getWorkflow(name: string): Workflow | undefined {
  return Object.hasOwn(workflows, name) ? workflows[name] : undefined;
}
