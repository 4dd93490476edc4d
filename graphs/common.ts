/** State pieces the workflows share: JSON summaries of what Polar said, and how a run ends. */
import { Annotation } from "@langchain/langgraph";
import type { Customer, Subscription } from "../polar/schemas.ts";

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
  ...endChannels,
  /** One sentence on why the run ended where it did. */
  detail: field<string>(),
};
