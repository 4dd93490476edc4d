/**
 * usage-sweep: a watch's look at every customer of its meter, 100 per Polar request, and one
 * overage-remediation started per customer over the threshold. Each page and each batch of
 * remediations is a checkpoint; a sweep killed half-way resumes where it stopped, and the
 * remediation ledger keeps a re-run batch from starting anything twice.
 */
import { type BaseCheckpointSaver, END, START, StateGraph } from "@langchain/langgraph";
import { readBillingPeriods } from "../../nodes/read-billing-periods.ts";
import { readMeterPage } from "../../nodes/read-meter-page.ts";
import { startRemediations } from "../../nodes/start-remediations.ts";
import { UsageSweepState } from "./state.ts";

export function buildUsageSweep(checkpointer?: BaseCheckpointSaver) {
  return new StateGraph(UsageSweepState)
    .addNode("read_meter_page", readMeterPage)
    .addNode("read_billing_periods", readBillingPeriods)
    .addNode("start_remediations", startRemediations)
    .addEdge(START, "read_meter_page")
    .addConditionalEdges("read_meter_page", routeAfterPage, [
      "read_meter_page",
      "read_billing_periods",
      END,
    ])
    .addConditionalEdges("read_billing_periods", routeAfterPeriods, [
      "read_billing_periods",
      "start_remediations",
    ])
    .addConditionalEdges("start_remediations", routeAfterRemediations, ["start_remediations", END])
    .compile({ checkpointer, name: "usage-sweep" })
    .withConfig({ recursionLimit: MAX_STEPS });
}

/**
 * LangGraph stops a run after 25 steps by default; a sweep takes one step per page of 100
 * customers (and per batch after), so a meter of a million customers needs some 10,000.
 */
const MAX_STEPS = 100_000;

/** More pages: read on. All read: the billing periods of those over, if any. */
function routeAfterPage(state: UsageSweepState) {
  if (state.next_page !== null) return "read_meter_page";
  return state.over_threshold.length > 0 ? "read_billing_periods" : END;
}

function routeAfterPeriods(state: UsageSweepState) {
  return state.periods_read < state.over_threshold.length
    ? "read_billing_periods"
    : "start_remediations";
}

function routeAfterRemediations(state: UsageSweepState) {
  return state.remediated < state.over_threshold.length ? "start_remediations" : END;
}
