/** create_benefit: a benefit of a given type, after a person approves. */
import { z } from "zod";
import { type Benefit, BenefitCreate } from "../../polar/schemas.ts";
import type { WriteTool } from "./types.ts";

const TOOL = "create_benefit";
/** Which tool made the benefit, in its metadata. */
const BENEFIT_METADATA = { polar_flows_tool: TOOL };

const input = z.strictObject({
  benefit: BenefitCreate.describe(
    "The benefit, by `type`: `custom` (properties `{ note? }`), `feature_flag` (properties `{}`), or `meter_credit` (properties `{ units, rollover, meter_id }`).",
  ),
});

const Outcome = z.enum(["benefit_created", "rejected"]);

const output = z.object({
  outcome: Outcome,
  detail: z.string().optional(),
  benefit: z
    .object({ id: z.string(), type: z.string(), description: z.string() })
    .optional()
    .describe("Attach it to products in Polar to grant it."),
});

interface BenefitPlan {
  benefit: BenefitCreate;
}

export const createBenefit: WriteTool<typeof input, BenefitPlan, typeof output> = {
  kind: "write",
  name: TOOL,
  description:
    "Create a Polar benefit: `custom` (a private note), `feature_flag`, or `meter_credit` (units credited to a meter each period). Each type has its own `properties`, checked before anything is sent. " +
    "It starts a run that waits for a person to approve (answer: `pending_approval`); the benefit is created once per run. " +
    "It only creates: it does not grant, change, revoke or delete benefits, and does not attach them to products.",
  input,
  output,
  async plan(args) {
    return { plan: { benefit: args.benefit } };
  },
  approval(plan) {
    const { benefit } = plan;
    const credit =
      benefit.type === "meter_credit"
        ? ` (${benefit.properties.units} units a period on meter ${benefit.properties.meter_id})`
        : "";
    return {
      message: `Create a ${benefit.type} benefit "${benefit.description}"${credit}?`,
      proposed_action: { action: TOOL, benefit, metadata: BENEFIT_METADATA },
    };
  },
  async perform(plan, { polar, runId, write }) {
    const summarize = (benefit: Benefit) => ({
      id: benefit.id,
      type: benefit.type,
      description: benefit.description,
    });
    const benefit = await write({
      action: "benefit.create",
      key: runId,
      customerId: null,
      request: { type: plan.benefit.type, description: plan.benefit.description },
      send: async () =>
        summarize(
          await polar.createBenefit({
            key: runId,
            benefit: plan.benefit,
            metadata: BENEFIT_METADATA,
          }),
        ),
      lookup: async () => {
        const found = await polar.findBenefit(plan.benefit.type, runId);
        return found ? summarize(found) : null;
      },
      objectId: (made) => made.id,
    });
    return { outcome: "benefit_created", benefit };
  },
};
