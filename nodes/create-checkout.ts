import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { OverageState, OverageUpdate } from "../graphs/overage-remediation/state.ts";
import { nodeContext } from "./context.ts";

const CLOCK_SKEW_MARGIN_MS = 10 * 60_000;

/** What the checkout's metadata says about where it came from (the approval shows it too). */
export const CHECKOUT_METADATA = { polar_flows_workflow: "overage-remediation" } as const;

/**
 * Creates the upgrade checkout — exactly once per run: the checkout is tagged with the run id,
 * so a retried or resumed node finds the one it already made. This settles the outcome
 * (`checkout_created`); the e-mail follows.
 */
export async function createCheckout(
  state: OverageState,
  config: LangGraphRunnableConfig,
): Promise<OverageUpdate> {
  const { polar, runId } = nodeContext(config);
  const { checkout, created } = await polar.findOrCreateCheckout({
    key: runId,
    customerId: state.customer!.id,
    productId: state.upgrade_product!.id,
    successUrl: state.input.success_url,
    metadata: { ...CHECKOUT_METADATA },
    // The checkout cannot predate the usage reading that called for it (however long the
    // approval took); the margin absorbs clock skew between us and Polar.
    createdAfter: new Date(Date.parse(state.usage!.window_end) - CLOCK_SKEW_MARGIN_MS),
  });
  return {
    checkout: { id: checkout.id, url: checkout.url, expires_at: checkout.expires_at, created },
    outcome: "checkout_created",
  };
}
