import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { summarizeSubscription } from "../graphs/common.ts";
import type { OverageState, OverageUpdate } from "../graphs/overage-remediation/state.ts";
import type { PolarGateway } from "../polar/gateway.ts";
import type { ProductRef } from "../polar/schemas.ts";
import { nodeContext } from "./context.ts";

/**
 * Resolves the products and picks the subscription an upgrade would replace: one on
 * `current_product` (or on anything but the upgrade product when none is named).
 */
export async function checkSubscription(
  state: OverageState,
  config: LangGraphRunnableConfig,
): Promise<OverageUpdate> {
  const { polar } = nodeContext(config);
  const { input } = state;
  const customerId = state.customer!.id;

  const upgrade = await resolveProduct(polar, input.upgrade_product, "upgrade_product");
  if ("outcome" in upgrade) return upgrade;
  const current = input.current_product
    ? await resolveProduct(polar, input.current_product, "current_product")
    : null;
  if (current && "outcome" in current) return current;

  const active = await polar.listActiveSubscriptions(customerId);
  if (active.length === 0) {
    return {
      outcome: "no_active_subscription",
      detail: "The customer has no active subscription.",
      stopped: true,
    };
  }
  const upgradeProduct = { id: upgrade.product.id, name: upgrade.product.name };
  if (active.some((subscription) => subscription.product_id === upgradeProduct.id)) {
    return {
      upgrade_product: upgradeProduct,
      outcome: "not_eligible",
      detail: `The customer is already on ${upgradeProduct.name}.`,
      stopped: true,
    };
  }
  const eligible = active.find((subscription) =>
    current ? subscription.product_id === current.product.id : true,
  );
  if (!eligible) {
    return {
      upgrade_product: upgradeProduct,
      outcome: "not_eligible",
      detail: `The customer has no active subscription on ${current?.product.name}.`,
      stopped: true,
    };
  }
  return { upgrade_product: upgradeProduct, subscription: summarizeSubscription(eligible) };
}

async function resolveProduct(polar: PolarGateway, ref: ProductRef, field: string) {
  const resolved = await polar.resolveProduct(ref);
  if ("product" in resolved) return resolved;
  return { outcome: resolved.outcome, detail: `${field}: ${resolved.reason}.`, stopped: true };
}
