import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { UsageSweepState, UsageSweepUpdate } from "../graphs/usage-sweep/state.ts";
import type { RemediationStarter } from "./watch-rules.ts";

/** Remediations started per step: each batch is checkpointed before the next. */
const BATCH = 25;

/**
 * Starts one overage-remediation per customer over the threshold, through the ledger whose key
 * (tenant, watch, customer, billing period) lets only one exist: re-running this step after a
 * crash, or a webhook that noticed first, finds the run already there. A dry run starts nothing.
 */
export async function startRemediations(
  state: UsageSweepState,
  config: LangGraphRunnableConfig,
): Promise<UsageSweepUpdate> {
  const { input } = state;
  const from = state.remediated;
  const batch = state.over_threshold.slice(from, from + BATCH);
  if (input.dry_run) {
    return { remediated: state.over_threshold.length };
  }
  const remediations = config.configurable?.remediations as RemediationStarter | undefined;
  if (!remediations) throw new Error("workflow misconfigured: no remediation starter");
  const settled = [];
  for (const customer of batch) {
    if (!customer.period_start) {
      settled.push(customer);
      continue;
    }
    const { run_id, started } = await remediations.start({
      tenant: input.tenant,
      watch: input.watch,
      customer_id: customer.customer_id,
      period_start: customer.period_start,
      source: "sweep",
    });
    settled.push({ ...customer, run_id, started });
  }
  const over = [...state.over_threshold];
  over.splice(from, settled.length, ...settled);
  return { over_threshold: over, remediated: from + settled.length };
}
