import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { EmailDraft, OverageState, OverageUpdate } from "../graphs/overage-remediation.ts";
import { formatNumber } from "./format.ts";

/** Drafts the upgrade email with the real figures and the checkout link. */
export async function draftEmail(state: OverageState, _config: LangGraphRunnableConfig): Promise<OverageUpdate> {
  return { email: overageTemplate(state), outcome: "checkout_created" };
}

export function overageTemplate(state: OverageState): EmailDraft {
  const { customer, usage, subscription, upgrade_product: product, checkout } = state;
  const greeting = customer!.name ? `Hi ${customer!.name},` : "Hi,";
  const topGroups = Object.entries(usage!.by_group)
    .slice(0, 3)
    .map(([group, amount]) => `  - ${group}: ${formatNumber(amount)}`);
  const body = [
    greeting,
    "",
    `In the last ${daysBetween(usage!.window_start, usage!.window_end)} days you used ${formatNumber(usage!.total)} units, ` +
      `${usage!.pct}% of the ${formatNumber(usage!.limit)} included in your ${subscription!.product_name} plan.`,
    ...(topGroups.length > 0 ? ["", "Where it went:", ...topGroups] : []),
    "",
    `${product!.name} fits that usage. You can upgrade here: ${checkout!.url}`,
    "",
    `The link is valid until ${new Date(checkout!.expires_at).toUTCString()}.`,
  ].join("\n");
  return {
    subject: `You are at ${usage!.pct}% of your ${subscription!.product_name} plan`,
    body,
    generated_by: "template",
  };
}

function daysBetween(start: string, end: string): number {
  return Math.round((Date.parse(end) - Date.parse(start)) / 86_400_000);
}
