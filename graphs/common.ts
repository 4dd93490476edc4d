/** State pieces both workflows share: small, plain JSON summaries of what Polar said. */
import { Annotation, END } from "@langchain/langgraph";
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

/** Channels every workflow has: the customer, and how the run ended. */
export const baseChannels = {
  customer: field<CustomerSummary>(),
  outcome: field<string>(),
  /** One sentence on why the run ended where it did. */
  detail: field<string>(),
};

/** Routing for a step that may end the run: to END once an outcome is set, else on to `next`. */
export function endWhenDecided<Next extends string>(next: Next) {
  return (state: { outcome: string | null }): Next | typeof END => (state.outcome ? END : next);
}
