/** schedule_cancellation: end a subscription at the end of its period, after a person approves. */
import { z } from "zod";
import { CancellationReason, CustomerRef, type Subscription } from "../../polar/schemas.ts";
import { describeRef, formatDate } from "../format.ts";
import type { WriteTool } from "./types.ts";

const TOOL = "schedule_cancellation";

const input = z.strictObject({
  customer: CustomerRef.describe(
    'Whose subscription: exactly one of `{ "id" }` or `{ "external_id" }` — never both. The subscription must belong to this customer.',
  ),
  subscription_id: z
    .uuid()
    .describe("The subscription's Polar id, as list_subscriptions shows it."),
  reason: CancellationReason.optional().describe("Why the customer leaves."),
  comment: z.string().min(1).max(5000).optional().describe("The customer's words, for the record."),
});

const Outcome = z.enum([
  "cancellation_scheduled",
  "already_scheduled",
  "customer_not_found",
  "subscription_not_found",
  "not_customers_subscription",
  "not_active",
  "rejected",
]);

const output = z.object({
  outcome: Outcome,
  detail: z.string().optional(),
  subscription: z
    .object({
      id: z.string(),
      product_name: z.string(),
      cancel_at_period_end: z.boolean(),
      current_period_end: z.string().nullable(),
    })
    .optional(),
  access_until: z
    .string()
    .nullable()
    .optional()
    .describe("The customer keeps access until then; no further billing after it."),
});

interface CancellationPlan {
  customer: { id: string; email: string };
  subscription: { id: string; product_name: string; current_period_end: string | null };
  reason?: CancellationReason;
  comment?: string;
}

export const scheduleCancellation: WriteTool<typeof input, CancellationPlan, typeof output> = {
  kind: "write",
  name: TOOL,
  description:
    "Schedule a customer's subscription to end at the end of its current period (`cancel_at_period_end`): no further billing, access kept until the period ends, reversible in Polar. " +
    "It starts a run that waits for a person to approve (answer: `pending_approval` with the run); nothing is sent when the end is already scheduled. " +
    "It never cancels immediately, never revokes access and never deletes anything — do not use it for refunds or immediate revocation. Get the subscription id from list_subscriptions first.",
  input,
  output,
  async plan(args, { polar }) {
    const customer = await polar.getCustomer(args.customer);
    if (!customer) {
      return { outcome: "customer_not_found", detail: `No Polar ${describeRef(args.customer)}.` };
    }
    const subscription = await polar.getSubscription(args.subscription_id);
    if (!subscription) {
      return {
        outcome: "subscription_not_found",
        detail: `No subscription ${args.subscription_id}.`,
      };
    }
    if (subscription.customer_id !== customer.id) {
      return {
        outcome: "not_customers_subscription",
        detail: `Subscription ${subscription.id} belongs to another customer, not to ${customer.email}.`,
      };
    }
    if (subscription.status !== "active" && subscription.status !== "trialing") {
      return {
        outcome: "not_active",
        detail: `Subscription ${subscription.id} is ${subscription.status}; only active or trialing subscriptions can be scheduled to end.`,
      };
    }
    if (subscription.cancel_at_period_end) {
      return {
        outcome: "already_scheduled",
        detail: `Subscription ${subscription.id} already ends at the end of its period${subscription.current_period_end ? ` (${formatDate(subscription.current_period_end)})` : ""}; nothing was sent.`,
      };
    }
    return {
      plan: {
        customer: { id: customer.id, email: customer.email },
        subscription: {
          id: subscription.id,
          product_name: subscription.product.name,
          current_period_end: subscription.current_period_end,
        },
        ...(args.reason ? { reason: args.reason } : {}),
        ...(args.comment ? { comment: args.comment } : {}),
      },
    };
  },
  approval(plan) {
    const until = plan.subscription.current_period_end;
    return {
      message: `End ${plan.customer.email}'s ${plan.subscription.product_name} subscription (${plan.subscription.id}) at the end of its period${until ? ` (access until ${formatDate(until)})` : ""}${plan.reason ? `, reason: ${plan.reason}` : ""}${plan.comment ? ` ("${plan.comment}")` : ""}? Nothing is revoked.`,
      proposed_action: {
        action: TOOL,
        customer_id: plan.customer.id,
        customer_email: plan.customer.email,
        subscription_id: plan.subscription.id,
        product_name: plan.subscription.product_name,
        cancel_at_period_end: true,
        current_period_end: until,
        ...(plan.reason ? { reason: plan.reason } : {}),
        ...(plan.comment ? { comment: plan.comment } : {}),
      },
    };
  },
  async perform(plan, { polar, write }) {
    const subscriptionId = plan.subscription.id;
    const details = {
      ...(plan.reason ? { reason: plan.reason } : {}),
      ...(plan.comment ? { comment: plan.comment } : {}),
    };
    const result = await write({
      action: "subscription.cancel_at_period_end",
      key: `${subscriptionId}:cancel_at_period_end`,
      customerId: plan.customer.id,
      request: { subscription_id: subscriptionId, cancel_at_period_end: true, ...details },
      send: async () => {
        const sent = await polar.scheduleCancellation(subscriptionId, details);
        return sent.status === "not_found"
          ? sent
          : { status: sent.status, subscription: summarize(sent.subscription) };
      },
      lookup: async () => {
        const current = await polar.getSubscription(subscriptionId);
        return current?.cancel_at_period_end
          ? { status: "already_scheduled" as const, subscription: summarize(current) }
          : null;
      },
      objectId: (sent) => ("subscription" in sent ? sent.subscription.id : null),
    });
    if (result.status === "not_found") {
      return {
        outcome: "subscription_not_found",
        detail: `Subscription ${plan.subscription.id} no longer exists in Polar.`,
      };
    }
    const { subscription } = result;
    // Scheduled since the plan was made: by an earlier attempt of this run (a crash after the
    // PATCH) or by someone else. Either way the end is scheduled, and nothing more was sent.
    return {
      outcome: "cancellation_scheduled",
      ...(result.status === "already_scheduled"
        ? { detail: "Polar already showed the end scheduled; nothing more was sent." }
        : {}),
      subscription: {
        id: subscription.id,
        product_name: subscription.product_name,
        cancel_at_period_end: subscription.cancel_at_period_end,
        current_period_end: subscription.current_period_end,
      },
      access_until: subscription.current_period_end,
    };
  },
};

/** What the run keeps of the subscription Polar answered with. */
function summarize(subscription: Subscription) {
  return {
    id: subscription.id,
    product_name: subscription.product.name,
    cancel_at_period_end: subscription.cancel_at_period_end,
    current_period_end: subscription.current_period_end,
  };
}
