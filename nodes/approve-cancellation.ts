import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type {
  OffboardingState,
  OffboardingUpdate,
} from "../graphs/subscription-offboarding/state.ts";
import { formatDate } from "./format.ts";
import { askForApproval, settleApproval } from "./interrupts.ts";

/**
 * A person approves the scheduled end before anything is sent to Polar, seeing every value the
 * change carries: the subscription, the end at the period's end, the reason and the comment.
 */
export async function approveCancellation(
  state: OffboardingState,
  _config: LangGraphRunnableConfig,
): Promise<OffboardingUpdate> {
  const { customer, subscription, input } = state;
  const until = subscription!.current_period_end;
  const answer = askForApproval(
    "approve_cancellation",
    `End ${customer!.email}'s ${subscription!.product_name} subscription (${subscription!.id}) at the end of its period` +
      `${until ? ` (access until ${formatDate(until)})` : ""}` +
      `${input.reason ? `, reason: ${input.reason}` : ""}${input.comment ? ` ("${input.comment}")` : ""}?` +
      " Nothing is billed after that.",
    {
      action: "cancel_at_period_end",
      customer_id: customer!.id,
      customer_email: customer!.email,
      subscription_id: subscription!.id,
      product_name: subscription!.product_name,
      cancel_at_period_end: true,
      access_until: until,
      ...(input.reason ? { reason: input.reason } : {}),
      ...(input.comment ? { comment: input.comment } : {}),
    },
  );
  return settleApproval(answer);
}
