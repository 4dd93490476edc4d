import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { nameHeldSubscription, type SubscriptionSummary } from "../graphs/common.ts";
import type {
  OffboardingState,
  OffboardingUpdate,
} from "../graphs/subscription-offboarding/state.ts";
import { nodeContext } from "./context.ts";

/**
 * Finds the subscription to end among the customer's active ones (from the customer state read
 * with the customer): the one named, the only one,
 * or — when there are several and none was named — leaves the choice to a person.
 */
export async function findSubscription(
  state: OffboardingState,
  config: LangGraphRunnableConfig,
): Promise<OffboardingUpdate> {
  const { polar } = nodeContext(config);
  const held = state.holdings!.subscriptions;
  const named = state.input.subscription_id;
  // Only a subscription of this very customer: an id from elsewhere must not end someone else's plan.
  const wanted = named ? held.filter((subscription) => subscription.id === named) : held;
  if (wanted.length === 0) {
    return {
      outcome: "no_active_subscription",
      detail: named
        ? `Subscription ${named} is not an active subscription of this customer.`
        : "The customer has no active subscription.",
      stopped: true,
    };
  }
  // The customer state names no products: one product list names them all.
  const { byId } = await polar.resolveProducts(
    [],
    wanted.map((subscription) => subscription.product_id),
  );
  const active = wanted.map((subscription) => nameHeldSubscription(subscription, byId));
  if (active.length === 1) return settleOn(active[0]!);
  return { candidates: active };
}

/** The chosen subscription, or the end of the run when its cancellation is already scheduled. */
export function settleOn(subscription: SubscriptionSummary): OffboardingUpdate {
  if (subscription.cancel_at_period_end) {
    return {
      subscription,
      access_until: subscription.current_period_end,
      outcome: "already_scheduled",
      detail:
        "This subscription is already set to end at the end of its period; nothing was sent to Polar.",
      stopped: true,
    };
  }
  return { subscription };
}
