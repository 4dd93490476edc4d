/**
 * usage-sweep, what it takes, holds and answers: a snapshot of one watch (so an edit mid-sweep
 * changes nothing), the pages read so far, the customers over the threshold and the remediation
 * each got. The wiring is in graph.ts.
 */
import { Annotation } from "@langchain/langgraph";
import { z } from "zod";

export const USAGE_SWEEP_WORKFLOW = "usage-sweep";

/** What a sweep needs of a watch: its meter, its products (resolved ids) and its rule. */
export const SweptWatch = z.strictObject({
  name: z.string().min(1).max(100),
  meter_id: z.string().min(1),
  upgrade_product_id: z.string().min(1),
  current_product_id: z.string().min(1).nullable(),
  threshold_pct: z.number().positive(),
  limit: z.number().positive().nullable(),
  require_approval: z.boolean(),
});
export type SweptWatch = z.infer<typeof SweptWatch>;

export const UsageSweepInput = z.strictObject({
  tenant: z.string().min(1),
  watch: SweptWatch,
  dry_run: z.boolean().default(false),
});
export type UsageSweepInput = z.output<typeof UsageSweepInput>;

/** A customer the sweep found over the threshold, and what became of it. */
export interface OverThreshold {
  customer_id: string;
  external_id: string | null;
  consumed: number;
  limit: number;
  pct: number;
  /** The eligible subscription's `current_period_start`; null: nothing to remediate. */
  period_start?: string | null;
  /** Why no remediation was started (no eligible subscription, already upgraded). */
  skipped?: string;
  run_id: string | null;
  /** This sweep created the run (false: it existed already). */
  started?: boolean;
}

const counter = () => Annotation<number>({ reducer: (_previous, next) => next, default: () => 0 });

export const UsageSweepState = Annotation.Root({
  input: Annotation<UsageSweepInput>,
  /** The next page of the meter's customers to read (1-based); null once all are read. */
  next_page: Annotation<number | null>({ reducer: (_p, next) => next, default: () => 1 }),
  checked: counter(),
  over_threshold: Annotation<OverThreshold[]>({ reducer: (_p, next) => next, default: () => [] }),
  /** Over-threshold customers whose subscriptions are read (a prefix of `over_threshold`). */
  periods_read: counter(),
  /** Over-threshold customers whose remediation is settled (a prefix of `over_threshold`). */
  remediated: counter(),
  polar_requests: counter(),
});
export type UsageSweepState = typeof UsageSweepState.State;
export type UsageSweepUpdate = typeof UsageSweepState.Update;

export function usageSweepOutput(state: UsageSweepState) {
  const over = state.over_threshold;
  return {
    watch: state.input.watch.name,
    dry_run: state.input.dry_run,
    checked: state.checked,
    over_threshold: over.map((customer) => ({
      customer_id: customer.customer_id,
      external_id: customer.external_id,
      consumed: customer.consumed,
      limit: customer.limit,
      pct: customer.pct,
      run_id: customer.run_id,
      ...(customer.skipped ? { skipped: customer.skipped } : {}),
    })),
    started: over.filter((customer) => customer.started === true).length,
    already_started: over.filter((customer) => customer.started === false).length,
    polar_requests: state.polar_requests,
  };
}
