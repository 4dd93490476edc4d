import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { OverageState, OverageUpdate } from "../graphs/overage-remediation/state.ts";
import { CHECKOUT_METADATA } from "./create-checkout.ts";
import { formatNumber } from "./format.ts";
import { askForApproval, settleApproval } from "./interrupts.ts";

/**
 * A person approves or rejects the upgrade checkout before anything is created, seeing every
 * value the checkout will carry: customer, product, success URL and metadata, and the usage that
 * called for it.
 */
export async function approveCheckout(
  state: OverageState,
  _config: LangGraphRunnableConfig,
): Promise<OverageUpdate> {
  const { customer, usage, upgrade_product: product, subscription } = state;
  const successUrl = state.input.success_url;
  const answer = askForApproval(
    "approve_checkout",
    `Create a ${product!.name} checkout (product ${product!.id}) for ${customer!.email} ` +
      `(customer ${customer!.id}): usage ${formatNumber(usage!.total)} of ${formatNumber(usage!.limit)} ` +
      `(${usage!.pct}%) on ${subscription!.product_name}; after paying they go to ` +
      `${successUrl ?? "Polar's own confirmation page (no success URL)"}?`,
    {
      action: "create_checkout",
      customer_id: customer!.id,
      customer_email: customer!.email,
      product_id: product!.id,
      product_name: product!.name,
      success_url: successUrl ?? null,
      metadata: { ...CHECKOUT_METADATA },
      replaces_subscription_id: subscription!.id,
      replaces_product_name: subscription!.product_name,
      usage_total: usage!.total,
      usage_limit: usage!.limit,
      usage_pct: usage!.pct,
      usage_by_group: usage!.by_group,
      usage_window_start: usage!.window_start,
      usage_window_end: usage!.window_end,
    },
  );
  return settleApproval(answer);
}
