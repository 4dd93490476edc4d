import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { UsageSweepState, UsageSweepUpdate } from "../graphs/usage-sweep/state.ts";
import { nodeContext } from "./context.ts";
import { measure } from "./watch-rules.ts";

/**
 * Reads one page (100) of the meter's customers — one Polar request — and keeps those over the
 * watch's threshold. Each page is its own checkpoint, so a resumed sweep reads on from there.
 */
export async function readMeterPage(
  state: UsageSweepState,
  config: LangGraphRunnableConfig,
): Promise<UsageSweepUpdate> {
  const { polar } = nodeContext(config);
  const { watch } = state.input;
  const page = state.next_page ?? 1;
  const result = await polar.listMeterCustomersPage(watch.meter_id, page);
  const found = result.items.flatMap((item) => {
    const measured = measure(watch, item.consumed_units, item.credited_units);
    if (!measured?.over) return [];
    return [
      {
        customer_id: item.customer_id,
        external_id: item.customer.external_id,
        consumed: item.consumed_units,
        limit: measured.limit,
        pct: measured.pct,
        run_id: null,
      },
    ];
  });
  return {
    next_page: result.has_more ? page + 1 : null,
    checked: state.checked + result.items.length,
    over_threshold: [...state.over_threshold, ...found],
    polar_requests: state.polar_requests + 1,
  };
}
