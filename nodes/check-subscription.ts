import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { nameHeldSubscription } from "../graphs/common.ts";
import type { OverageState, OverageUpdate } from "../graphs/overage-remediation/state.ts";
import type { ProductResolution } from "../polar/gateway.ts";
import { nodeContext } from "./context.ts";

/**
 * Resolves the products (one product list for both) and picks the subscription an upgrade would
 * replace among those the customer state showed: one on `current_product` (or on anything but
 * the upgrade product when none is named).
 */
export async function checkSubscription(
  state: OverageState,
  config: LangGraphRunnableConfig,
): Promise<OverageUpdate> {
  const { polar } = nodeContext(config);
  const { input } = state;
  const active = state.holdings!.subscriptions;

  const refs = [input.upgrade_product, ...(input.current_product ? [input.current_product] : [])];
  const { resolutions, byId } = await polar.resolveProducts(
    refs,
    active.map((subscription) => subscription.product_id),
  );
  const [upgrade, current] = resolutions as [ProductResolution, ProductResolution | undefined];
  if ("outcome" in upgrade) return refused(upgrade, "upgrade_product");
  if (current && "outcome" in current) return refused(current, "current_product");

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
  return { upgrade_product: upgradeProduct, subscription: nameHeldSubscription(eligible, byId) };
}

function refused(resolution: Exclude<ProductResolution, { product: unknown }>, field: string) {
  return { outcome: resolution.outcome, detail: `${field}: ${resolution.reason}.`, stopped: true };
}
