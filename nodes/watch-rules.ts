/**
 * A watch's rule, the same wherever an overage is noticed (a sweep's pages, a webhook's customer
 * state): the customer's limit and percentage, the subscription a remediation would upgrade, and
 * the remediation's input — measuring the billing period the watch saw.
 */
import type { SweptWatch } from "../graphs/usage-sweep/state.ts";

export interface Measured {
  limit: number;
  pct: number;
  over: boolean;
}

/** The watch's limit (explicit, else the customer's credits) against what was consumed. */
export function measure(watch: SweptWatch, consumed: number, credited: number): Measured | null {
  const limit = watch.limit ?? (credited > 0 ? credited : null);
  if (limit === null) return null;
  return {
    limit,
    pct: Math.round((consumed / limit) * 1000) / 10,
    // The same comparison as the remediation's sum_usage, so both agree on "over".
    over: consumed * 100 > limit * watch.threshold_pct,
  };
}

/** The billing period to remediate in, or why there is none. */
export function billingPeriod(
  watch: SweptWatch,
  active: readonly { product_id: string; current_period_start: string }[],
): { period_start: string } | { skipped: string } {
  if (active.some((subscription) => subscription.product_id === watch.upgrade_product_id)) {
    return { skipped: "already_on_upgrade_product" };
  }
  const eligible = active.find((subscription) =>
    watch.current_product_id ? subscription.product_id === watch.current_product_id : true,
  );
  if (!eligible) return { skipped: "no_eligible_subscription" };
  return { period_start: new Date(eligible.current_period_start).toISOString() };
}

/** The overage-remediation a watch starts: the meter over the billing period so far. */
export function remediationInput(watch: SweptWatch, customerId: string, periodStart: string) {
  return {
    customer: { id: customerId },
    upgrade_product: { id: watch.upgrade_product_id },
    ...(watch.current_product_id ? { current_product: { id: watch.current_product_id } } : {}),
    usage: { meter_id: watch.meter_id },
    ...(watch.limit !== null ? { limit: watch.limit } : {}),
    threshold_pct: watch.threshold_pct,
    require_approval: watch.require_approval,
    window: { start: periodStart },
  };
}

/** Starts a watch's remediation once per customer and billing period (triggers/remediations.ts). */
export interface RemediationStarter {
  start(request: {
    tenant: string;
    watch: SweptWatch;
    customer_id: string;
    period_start: string;
    source: "sweep" | "webhook";
  }): Promise<{ run_id: string; started: boolean }>;
}
