import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { OffboardingState, OffboardingUpdate } from "../graphs/subscription-offboarding.ts";
import { formatDate } from "./format.ts";

/** Tells the customer exactly when access ends — the date Polar answered with. */
export async function confirm(state: OffboardingState, _config: LangGraphRunnableConfig): Promise<OffboardingUpdate> {
  return { message: offboardingTemplate(state), message_generated_by: "template", outcome: "cancellation_scheduled" };
}

export function offboardingTemplate(state: OffboardingState): string {
  const { customer, subscription, access_until: until } = state;
  const greeting = customer!.name ? `Hi ${customer!.name},` : "Hi,";
  const end = until
    ? `You will not be billed again, and your access continues until ${formatDate(until)}.`
    : "You will not be billed again.";
  return [
    greeting,
    "",
    `Your ${subscription!.product_name} subscription is set to end at the end of the current period. ${end}`,
    "If you change your mind before then, you can keep your subscription.",
  ].join("\n");
}
