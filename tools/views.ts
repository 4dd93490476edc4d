/**
 * What tools show of Polar's objects: the fields a model needs, nothing more (small answers cost
 * fewer tokens and leak nothing a caller did not ask for).
 */
import { z } from "zod";
import type { CustomerState, PolarEvent, Subscription } from "../polar/schemas.ts";

export const CustomerView = z.object({
  id: z.string().describe("Polar customer id (UUID): use it as `{ id }` in other tools."),
  external_id: z.string().nullable().describe("The app's own user id, if set."),
  email: z.string(),
  name: z.string().nullable(),
  metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});
export type CustomerView = z.infer<typeof CustomerView>;

export function customerView(customer: {
  id: string;
  external_id: string | null;
  email: string;
  name: string | null;
  metadata: Record<string, string | number | boolean>;
}): CustomerView {
  return {
    id: customer.id,
    external_id: customer.external_id,
    email: customer.email,
    name: customer.name,
    metadata: customer.metadata,
  };
}

export const CustomerStateView = CustomerView.extend({
  active_subscriptions: z.array(
    z.object({
      id: z.string(),
      status: z.string(),
      product_id: z.string(),
      current_period_end: z.string().nullable(),
      cancel_at_period_end: z.boolean(),
    }),
  ),
  meters: z
    .array(
      z.object({
        meter_id: z.string(),
        consumed_units: z.number(),
        credited_units: z.number().describe("Units the plan includes (its meter credits)."),
        balance: z.number(),
      }),
    )
    .describe("Usage meters of the current period."),
});

export function customerStateView(state: CustomerState): z.infer<typeof CustomerStateView> {
  return {
    ...customerView(state),
    active_subscriptions: state.active_subscriptions.map((subscription) => ({
      id: subscription.id,
      status: subscription.status,
      product_id: subscription.product_id,
      current_period_end: subscription.current_period_end,
      cancel_at_period_end: subscription.cancel_at_period_end,
    })),
    meters: state.active_meters.map((meter) => ({
      meter_id: meter.meter_id,
      consumed_units: meter.consumed_units,
      credited_units: meter.credited_units,
      balance: meter.balance,
    })),
  };
}

export const SubscriptionView = z.object({
  id: z.string(),
  status: z.string(),
  customer_id: z.string(),
  product_id: z.string(),
  product_name: z.string(),
  amount: z.number().describe("Price per period, in cents."),
  currency: z.string(),
  recurring_interval: z.string().nullable(),
  current_period_start: z.string(),
  current_period_end: z.string().nullable(),
  cancel_at_period_end: z.boolean(),
  ends_at: z.string().nullable(),
});
export type SubscriptionView = z.infer<typeof SubscriptionView>;

export function subscriptionView(subscription: Subscription): SubscriptionView {
  const interval = (subscription as { recurring_interval?: unknown }).recurring_interval;
  return {
    id: subscription.id,
    status: subscription.status,
    customer_id: subscription.customer_id,
    product_id: subscription.product_id,
    product_name: subscription.product.name,
    amount: subscription.amount,
    currency: subscription.currency,
    recurring_interval: typeof interval === "string" ? interval : null,
    current_period_start: subscription.current_period_start,
    current_period_end: subscription.current_period_end,
    cancel_at_period_end: subscription.cancel_at_period_end,
    ends_at: subscription.ends_at,
  };
}

export const EventView = z.object({
  id: z.string(),
  timestamp: z.string(),
  name: z.string(),
  source: z.string().describe("`user` (ingested) or `system` (Polar's own)."),
  customer_id: z.string().nullable(),
  external_customer_id: z.string().nullable(),
  parent_id: z.string().nullable(),
  child_count: z.number(),
  metadata: z.record(z.string(), z.unknown()),
});
export type EventView = z.infer<typeof EventView>;

export function eventView(event: PolarEvent): EventView {
  const extra = event as { parent_id?: unknown; child_count?: unknown };
  return {
    id: event.id,
    timestamp: event.timestamp,
    name: event.name,
    source: event.source,
    customer_id: event.customer_id,
    external_customer_id: event.external_customer_id,
    parent_id: typeof extra.parent_id === "string" ? extra.parent_id : null,
    child_count: typeof extra.child_count === "number" ? extra.child_count : 0,
    metadata: event.metadata,
  };
}
