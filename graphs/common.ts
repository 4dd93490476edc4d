/** State pieces the workflows share: JSON summaries of what Polar said, and how a run ends. */
import { Annotation } from "@langchain/langgraph";
import type { Customer, CustomerState, Product, Subscription } from "../polar/schemas.ts";

export interface CustomerSummary {
  id: string;
  external_id: string | null;
  email: string;
  name: string | null;
}

export interface SubscriptionSummary {
  id: string;
  product_id: string;
  product_name: string;
  status: string;
  cancel_at_period_end: boolean;
  current_period_end: string | null;
}

/**
 * What the customer holds, as Polar's customer state said when the run looked it up (one
 * request): active subscriptions, newest first (without their products' names), and meters.
 */
export interface CustomerHoldings {
  subscriptions: Omit<SubscriptionSummary, "product_name">[];
  meters: { meter_id: string; credited_units: number }[];
}

export function summarizeHoldings(state: CustomerState): CustomerHoldings {
  const newestFirst = [...state.active_subscriptions].sort(
    (a, b) => Date.parse(b.started_at ?? "") - Date.parse(a.started_at ?? "") || 0,
  );
  return {
    subscriptions: newestFirst.map((subscription) => ({
      id: subscription.id,
      product_id: subscription.product_id,
      status: subscription.status,
      cancel_at_period_end: subscription.cancel_at_period_end,
      current_period_end: subscription.current_period_end,
    })),
    meters: state.active_meters.map((meter) => ({
      meter_id: meter.meter_id,
      credited_units: meter.credited_units,
    })),
  };
}

/** A held subscription named after its product (listed by id), or by the product id. */
export function nameHeldSubscription(
  subscription: CustomerHoldings["subscriptions"][number],
  products: ReadonlyMap<string, Product>,
): SubscriptionSummary {
  const name = products.get(subscription.product_id)?.name ?? subscription.product_id;
  return { ...subscription, product_name: name };
}

export function summarizeCustomer(customer: Customer): CustomerSummary {
  return {
    id: customer.id,
    external_id: customer.external_id,
    email: customer.email,
    name: customer.name,
  };
}

export function summarizeSubscription(subscription: Subscription): SubscriptionSummary {
  return {
    id: subscription.id,
    product_id: subscription.product_id,
    product_name: subscription.product.name,
    status: subscription.status,
    cancel_at_period_end: subscription.cancel_at_period_end,
    current_period_end: subscription.current_period_end,
  };
}

/** A last-value channel that starts empty (null). */
export function field<T>() {
  return Annotation<T | null>({ reducer: (_previous, next) => next, default: () => null });
}

/**
 * How a run ends. `stopped` is the stop signal: a step that finds nothing (more) to do sets it,
 * with the `outcome` that says why, and routing then goes to the end. It is apart from the
 * outcome because a step may settle the outcome and the run still go on (`checkout_created`,
 * then the e-mail).
 */
export const endChannels = {
  outcome: field<string>(),
  stopped: Annotation<boolean>({ reducer: (_previous, next) => next, default: () => false }),
};

/** Channels every customer workflow has: the customer, and how the run ended. */
export const baseChannels = {
  customer: field<CustomerSummary>(),
  holdings: field<CustomerHoldings>(),
  ...endChannels,
  /** One sentence on why the run ended where it did. */
  detail: field<string>(),
};
