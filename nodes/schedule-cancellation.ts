import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { summarizeSubscription } from "../graphs/common.ts";
import type {
  OffboardingState,
  OffboardingUpdate,
} from "../graphs/subscription-offboarding/state.ts";
import { nodeContext } from "./context.ts";

/**
 * Schedules the end at the period's end (`cancel_at_period_end: true`) — reversible, access
 * kept. Journaled: a node executed again sends no second PATCH; one whose answer was lost is
 * looked up (the subscription shows the end scheduled).
 * This settles the outcome (`cancellation_scheduled`); the message follows.
 */
export async function scheduleCancellation(
  state: OffboardingState,
  config: LangGraphRunnableConfig,
): Promise<OffboardingUpdate> {
  const { polar, write } = nodeContext(config);
  const subscriptionId = state.subscription!.id;
  const { reason, comment } = state.input;
  const result = await write({
    action: "subscription.cancel_at_period_end",
    key: `${subscriptionId}:cancel_at_period_end`,
    customerId: state.customer!.id,
    request: { subscription_id: subscriptionId, cancel_at_period_end: true, reason, comment },
    send: async () => {
      const sent = await polar.scheduleCancellation(subscriptionId, { reason, comment });
      return sent.status === "not_found" ? null : summarizeSubscription(sent.subscription);
    },
    lookup: async () => {
      const current = await polar.getSubscription(subscriptionId);
      return current?.cancel_at_period_end ? summarizeSubscription(current) : null;
    },
    objectId: (subscription) => subscription?.id ?? null,
  });
  if (result === null) {
    return {
      outcome: "no_active_subscription",
      detail: "The subscription no longer exists in Polar.",
      stopped: true,
    };
  }
  const subscription = result;
  return {
    subscription,
    access_until: subscription.current_period_end,
    outcome: "cancellation_scheduled",
  };
}
