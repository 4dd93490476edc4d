import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type {
  OffboardingState,
  OffboardingUpdate,
} from "../graphs/subscription-offboarding/state.ts";
import { settleOn } from "./find-subscription.ts";
import { formatDate } from "./format.ts";
import { askForChoice } from "./interrupts.ts";

/** A person picks which of several active subscriptions to end. */
export async function chooseSubscription(
  state: OffboardingState,
  _config: LangGraphRunnableConfig,
): Promise<OffboardingUpdate> {
  const candidates = state.candidates ?? [];
  const options = candidates.map((subscription) => ({
    id: subscription.id,
    label: `${subscription.product_name}${
      subscription.current_period_end
        ? `, renews ${formatDate(subscription.current_period_end)}`
        : ""
    }${subscription.cancel_at_period_end ? " (already ending)" : ""}`,
  }));
  const chosenId = askForChoice(
    "choose_subscription",
    `${state.customer!.email} has ${candidates.length} active subscriptions. Which one should end?`,
    options,
    { action: "cancel_at_period_end", customer_id: state.customer!.id },
  );
  return settleOn(candidates.find((subscription) => subscription.id === chosenId)!);
}
