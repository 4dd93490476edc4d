import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { OverageState, OverageUpdate } from "../graphs/overage-remediation/state.ts";
import type { CheckoutRequest } from "../polar/gateway.ts";
import { nodeContext } from "./context.ts";

const CLOCK_SKEW_MARGIN_MS = 10 * 60_000;

/** What the checkout's metadata says about where it came from (the approval shows it too). */
export const CHECKOUT_METADATA = { polar_flows_workflow: "overage-remediation" } as const;

/**
 * Creates the upgrade checkout — exactly once per run: the journal knows whether an earlier
 * execution sent it, and the checkout is tagged with the run id so that one whose answer was
 * lost is found. This settles the outcome (`checkout_created`); the e-mail follows.
 */
export async function createCheckout(
  state: OverageState,
  config: LangGraphRunnableConfig,
): Promise<OverageUpdate> {
  const { polar, runId, write } = nodeContext(config);
  const request: CheckoutRequest = {
    key: runId,
    customerId: state.customer!.id,
    productId: state.upgrade_product!.id,
    successUrl: state.input.success_url,
    metadata: { ...CHECKOUT_METADATA },
    // The checkout cannot predate the usage reading that called for it (however long the
    // approval took); the margin absorbs clock skew between us and Polar.
    createdAfter: new Date(Date.parse(state.usage!.window_end) - CLOCK_SKEW_MARGIN_MS),
  };
  const summarize = (checkout: { id: string; url: string; expires_at: string }) => ({
    id: checkout.id,
    url: checkout.url,
    expires_at: checkout.expires_at,
  });
  let created = false;
  const checkout = await write({
    action: "checkout.create",
    key: runId,
    customerId: request.customerId,
    request: {
      product_id: request.productId,
      customer_id: request.customerId,
      success_url: request.successUrl ?? null,
    },
    send: async () => {
      const made = summarize(await polar.createCheckout(request));
      created = true;
      return made;
    },
    lookup: async () => {
      const found = await polar.findCheckout(request);
      return found ? summarize(found) : null;
    },
    objectId: (made) => made.id,
  });
  return { checkout: { ...checkout, created }, outcome: "checkout_created" };
}
