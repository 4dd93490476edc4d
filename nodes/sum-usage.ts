import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { OverageState, OverageUpdate } from "../graphs/overage-remediation/state.ts";
import { nodeContext } from "./context.ts";
import { WorkflowInputError } from "./errors.ts";

const DAY_MS = 86_400_000;

/** Sums the customer's usage over the window and compares it with the plan's limit. */
export async function sumUsage(
  state: OverageState,
  config: LangGraphRunnableConfig,
): Promise<OverageUpdate> {
  const { polar, now } = nodeContext(config);
  const { input } = state;
  const customerId = state.customer!.id;
  const end = now();
  // A watch names the billing period it saw the overage in; otherwise the last `window_days`.
  const window = input.window
    ? {
        start: new Date(input.window.start),
        end: input.window.end ? new Date(input.window.end) : end,
      }
    : { start: new Date(end.getTime() - input.window_days * DAY_MS), end };

  const sum =
    "meter_id" in input.usage
      ? await polar.sumMeterUsage({ meterId: input.usage.meter_id, customerId, window })
      : await polar.sumEventUsage({
          customerId,
          eventName: input.usage.event_name,
          window,
          groupBy: input.usage.group_by,
          sumProperty: input.usage.sum_property,
        });

  let limit = input.limit;
  let limitSource: "input" | "meter_credits" = "input";
  if (limit === undefined && "meter_id" in input.usage) {
    // The customer state read at the start of the run carries the meter's credits.
    const meterId = input.usage.meter_id;
    const credited = state
      .holdings!.meters.filter((meter) => meter.meter_id === meterId)
      .reduce((total, meter) => total + meter.credited_units, 0);
    if (credited > 0) {
      limit = credited;
      limitSource = "meter_credits";
    }
  }
  if (limit === undefined) {
    throw new WorkflowInputError(
      "limit",
      "no `limit` was given and the customer has no credits on that meter to take it from",
    );
  }

  const usage = {
    total: sum.total,
    limit,
    pct: Math.round((sum.total / limit) * 1000) / 10,
    window_start: sum.window_start,
    window_end: sum.window_end,
    by_group: sum.by_group,
    source: sum.source,
    limit_source: limitSource,
  };
  if (sum.total * 100 <= limit * input.threshold_pct) {
    return {
      usage,
      outcome: "under_threshold",
      detail: `Usage is ${usage.pct}% of ${limit}, not above the ${input.threshold_pct}% threshold.`,
      stopped: true,
    };
  }
  return { usage };
}
