/**
 * overage-remediation: spot a customer far over their plan and offer an upgrade checkout,
 * after a person approves.
 */
import { Annotation, type BaseCheckpointSaver, END, START, StateGraph } from "@langchain/langgraph";
import { z } from "zod";
import { approveCheckout } from "../nodes/approve-checkout.ts";
import { checkSubscription } from "../nodes/check-subscription.ts";
import { createCheckout } from "../nodes/create-checkout.ts";
import { draftEmail } from "../nodes/draft-email.ts";
import type { ApprovalAnswer } from "../nodes/interrupts.ts";
import { resolveCustomer } from "../nodes/resolve-customer.ts";
import { sumUsage } from "../nodes/sum-usage.ts";
import { CustomerRef, ProductRef } from "../polar/schemas.ts";
import { baseChannels, endWhenDecided, field, type SubscriptionSummary } from "./common.ts";

// ---- input ----

export const UsageSource = z.union(
  [
    z.strictObject({
      event_name: z.string().min(1).max(128),
      group_by: z.string().min(1).max(40).optional(),
      sum_property: z.string().min(1).max(40).optional(),
    }),
    z.strictObject({ meter_id: z.uuid() }),
  ],
  { error: "give either `event_name` (with optional `group_by`, `sum_property`) or `meter_id`" },
);

export const OverageInput = z
  .strictObject({
    customer: CustomerRef,
    current_product: ProductRef.optional(),
    upgrade_product: ProductRef,
    usage: UsageSource,
    window_days: z.int().min(1).max(366).default(30),
    limit: z.number().positive().optional(),
    threshold_pct: z.number().positive().max(10_000).default(100),
    require_approval: z.boolean().default(true),
    success_url: z.url({ protocol: /^https?$/ }).optional(),
  })
  .refine((input) => input.limit !== undefined || "meter_id" in input.usage, {
    path: ["limit"],
    message:
      "give `limit`, or use `usage.meter_id` so the limit can be read from the customer's meter credits",
  });
export type OverageInput = z.output<typeof OverageInput>;

// ---- state ----

export interface UsageSummary {
  total: number;
  limit: number;
  pct: number;
  window_start: string;
  window_end: string;
  by_group: Record<string, number>;
  source: "events" | "meter";
  limit_source: "input" | "meter_credits";
}

export interface CheckoutSummary {
  id: string;
  url: string;
  expires_at: string;
  created: boolean;
}

export interface EmailDraft {
  subject: string;
  body: string;
  generated_by: "model" | "template";
}

export const OverageState = Annotation.Root({
  input: Annotation<OverageInput>,
  ...baseChannels,
  subscription: field<SubscriptionSummary>(),
  upgrade_product: field<{ id: string; name: string }>(),
  usage: field<UsageSummary>(),
  approval: field<ApprovalAnswer>(),
  checkout: field<CheckoutSummary>(),
  email: field<EmailDraft>(),
});
export type OverageState = typeof OverageState.State;
export type OverageUpdate = typeof OverageState.Update;

// ---- routing ----

export function routeAfterUsage(state: OverageState) {
  if (state.outcome) return END;
  return state.input.require_approval ? "approve_checkout" : "create_checkout";
}

// ---- wiring ----

export function buildOverageRemediation(checkpointer?: BaseCheckpointSaver) {
  return new StateGraph(OverageState)
    .addNode("resolve_customer", resolveCustomer)
    .addNode("check_subscription", checkSubscription)
    .addNode("sum_usage", sumUsage)
    .addNode("approve_checkout", approveCheckout)
    .addNode("create_checkout", createCheckout)
    .addNode("draft_email", draftEmail)
    .addEdge(START, "resolve_customer")
    .addConditionalEdges("resolve_customer", endWhenDecided("check_subscription"), [
      "check_subscription",
      END,
    ])
    .addConditionalEdges("check_subscription", endWhenDecided("sum_usage"), ["sum_usage", END])
    .addConditionalEdges("sum_usage", routeAfterUsage, ["approve_checkout", "create_checkout", END])
    .addConditionalEdges("approve_checkout", endWhenDecided("create_checkout"), [
      "create_checkout",
      END,
    ])
    .addEdge("create_checkout", "draft_email")
    .addEdge("draft_email", END)
    .compile({ checkpointer, name: "overage-remediation" });
}

// ---- output ----

export function overageOutput(state: OverageState) {
  return {
    outcome: state.outcome,
    ...(state.detail ? { detail: state.detail } : {}),
    customer: state.customer,
    subscription: state.subscription
      ? {
          id: state.subscription.id,
          product_id: state.subscription.product_id,
          product_name: state.subscription.product_name,
          status: state.subscription.status,
          current_period_end: state.subscription.current_period_end,
        }
      : null,
    usage: state.usage
      ? {
          total: state.usage.total,
          limit: state.usage.limit,
          pct: state.usage.pct,
          window_start: state.usage.window_start,
          window_end: state.usage.window_end,
          by_group: state.usage.by_group,
          source: state.usage.source,
        }
      : null,
    checkout: state.checkout
      ? { id: state.checkout.id, url: state.checkout.url, expires_at: state.checkout.expires_at }
      : null,
    email: state.email,
  };
}
