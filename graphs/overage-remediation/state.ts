/**
 * overage-remediation, what it takes, holds and answers: the input schema, the state its nodes
 * read and update, and the output a finished run reports. The wiring is in graph.ts.
 */
import { Annotation } from "@langchain/langgraph";
import { z } from "zod";
import { identifier } from "../../lib/validation.ts";
import type { ApprovalAnswer } from "../../nodes/interrupts.ts";
import { CustomerRef, ProductRef } from "../../polar/schemas.ts";
import { baseChannels, field, type SubscriptionSummary } from "../common.ts";

// ---- input ----

export const UsageSource = z.union(
  [
    z.strictObject({
      event_name: identifier(128),
      group_by: identifier(40).optional(),
      sum_property: identifier(40).optional(),
    }),
    z.strictObject({ meter_id: z.uuid() }),
  ],
  { error: "give either `event_name` (with optional `group_by`, `sum_property`) or `meter_id`" },
);

/** A window given outright: from `start` to `end` (absent: the moment usage is measured). */
export const MeasurementWindow = z
  .strictObject({
    start: z.iso.datetime({ offset: true }),
    end: z.iso.datetime({ offset: true }).optional(),
  })
  .refine(
    (window) => window.end === undefined || Date.parse(window.start) < Date.parse(window.end),
    {
      path: ["end"],
      message: "must be after `start`",
    },
  );

export const OverageInput = z
  .strictObject({
    customer: CustomerRef,
    current_product: ProductRef.optional(),
    upgrade_product: ProductRef,
    usage: UsageSource,
    window_days: z.int().min(1).max(366).default(30),
    window: MeasurementWindow.optional().describe(
      "Measure this window instead of the last `window_days` (a watch: the billing period so far).",
    ),
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
