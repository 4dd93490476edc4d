import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import {
  type CustomerHoldings,
  type CustomerSummary,
  summarizeCustomer,
  summarizeHoldings,
} from "../graphs/common.ts";
import type { CustomerRef } from "../polar/schemas.ts";
import { nodeContext } from "./context.ts";

/**
 * Looks the customer up by exactly the reference the caller gave (Polar id or external id),
 * with its active subscriptions and meters: Polar's customer state, one request for all three.
 */
export async function resolveCustomer(
  state: { input: { customer: CustomerRef } },
  config: LangGraphRunnableConfig,
): Promise<{
  customer?: CustomerSummary;
  holdings?: CustomerHoldings;
  outcome?: string;
  detail?: string;
  stopped?: boolean;
}> {
  const { polar } = nodeContext(config);
  const ref = state.input.customer;
  const customer = await polar.getCustomerState(ref);
  if (!customer) {
    const described = "id" in ref ? `id ${ref.id}` : `external_id ${ref.external_id}`;
    return {
      outcome: "customer_not_found",
      detail: `No Polar customer with ${described}.`,
      stopped: true,
    };
  }
  return { customer: summarizeCustomer(customer), holdings: summarizeHoldings(customer) };
}
