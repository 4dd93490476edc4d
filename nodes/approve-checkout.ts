import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { OverageState, OverageUpdate } from "../graphs/overage-remediation/state.ts";
import { formatNumber } from "./format.ts";
import { askForApproval, settleApproval } from "./interrupts.ts";

/** A person approves or rejects the upgrade checkout before anything is created. */
export async function approveCheckout(
  state: OverageState,
  _config: LangGraphRunnableConfig,
): Promise<OverageUpdate> {
  const { customer, usage, upgrade_product: product, subscription } = state;
  const answer = askForApproval(
    "approve_checkout",
    `Create a ${product!.name} checkout for ${customer!.email} (usage ${usage!.pct}% of ${formatNumber(usage!.limit)})?`,
    {
      action: "create_checkout",
      customer_id: customer!.id,
      product_id: product!.id,
      product_name: product!.name,
      replaces_subscription_id: subscription!.id,
      usage_total: usage!.total,
      usage_limit: usage!.limit,
    },
  );
  return settleApproval(answer);
}
