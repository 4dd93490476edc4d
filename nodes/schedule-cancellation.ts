import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { summarizeSubscription } from "../graphs/common.ts";
import type {
  OffboardingState,
  OffboardingUpdate,
} from "../graphs/subscription-offboarding/state.ts";
import { nodeContext } from "./context.ts";

/**
 * Schedules the end at the period's end (`cancel_at_period_end: true`) — reversible, access
 * kept. The gateway reads the subscription first, so a retried node sends no second PATCH.
 * This settles the outcome (`cancellation_scheduled`); the message follows.
 */
export async function scheduleCancellation(
  state: OffboardingState,
  config: LangGraphRunnableConfig,
): Promise<OffboardingUpdate> {
  const { polar } = nodeContext(config);
  const result = await polar.scheduleCancellation(state.subscription!.id, {
    reason: state.input.reason,
    comment: state.input.comment,
  });
  if (result.status === "not_found") {
    return {
      outcome: "no_active_subscription",
      detail: "The subscription no longer exists in Polar.",
      stopped: true,
    };
  }
  const subscription = summarizeSubscription(result.subscription);
  return {
    subscription,
    access_until: subscription.current_period_end,
    outcome: "cancellation_scheduled",
  };
}
