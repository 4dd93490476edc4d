import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { UsageSweepState, UsageSweepUpdate } from "../graphs/usage-sweep/state.ts";
import { PAGE_LIMIT } from "../polar/transport.ts";
import { nodeContext } from "./context.ts";
import { billingPeriod } from "./watch-rules.ts";

/**
 * For the next 100 customers over the threshold, reads their active subscriptions in one list
 * request (more pages only when they hold more than 100 between them), and notes the billing
 * period each remediation would measure — or why there is none.
 */
export async function readBillingPeriods(
  state: UsageSweepState,
  config: LangGraphRunnableConfig,
): Promise<UsageSweepUpdate> {
  const { polar } = nodeContext(config);
  const { watch } = state.input;
  const from = state.periods_read;
  const batch = state.over_threshold.slice(from, from + PAGE_LIMIT);
  const ids = batch.map((customer) => customer.customer_id);
  const active = new Map<string, { product_id: string; current_period_start: string }[]>();
  let requests = 0;
  for (let page = 1; ; page++) {
    // Every active subscription counts (one on the upgrade product means nothing to do), so
    // the list is not narrowed to the current product.
    const result = await polar.listActiveSubscriptionsOfPage(ids, null, page);
    requests += 1;
    for (const subscription of result.items) {
      const list = active.get(subscription.customer_id) ?? [];
      list.push(subscription);
      active.set(subscription.customer_id, list);
    }
    if (!result.has_more) break;
  }
  const over = state.over_threshold.map((customer, index) => {
    if (index < from || index >= from + batch.length) return customer;
    const period = billingPeriod(watch, active.get(customer.customer_id) ?? []);
    return "skipped" in period
      ? { ...customer, period_start: null, skipped: period.skipped }
      : { ...customer, period_start: period.period_start };
  });
  return {
    over_threshold: over,
    periods_read: from + batch.length,
    polar_requests: state.polar_requests + requests,
  };
}
