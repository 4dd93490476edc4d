/**
 * overage-remediation: spot a customer far over their plan and offer an upgrade checkout,
 * after a person approves. Every step that finds nothing to do ends the run with an outcome.
 */
import { type BaseCheckpointSaver, END, START, StateGraph } from "@langchain/langgraph";
import { approveCheckout } from "../../nodes/approve-checkout.ts";
import { checkSubscription } from "../../nodes/check-subscription.ts";
import { createCheckout } from "../../nodes/create-checkout.ts";
import { draftEmail } from "../../nodes/draft-email.ts";
import { resolveCustomer } from "../../nodes/resolve-customer.ts";
import { sumUsage } from "../../nodes/sum-usage.ts";
import { OverageState } from "./state.ts";

export function buildOverageRemediation(checkpointer?: BaseCheckpointSaver) {
  return new StateGraph(OverageState)
    .addNode("resolve_customer", resolveCustomer)
    .addNode("check_subscription", checkSubscription)
    .addNode("sum_usage", sumUsage)
    .addNode("approve_checkout", approveCheckout)
    .addNode("create_checkout", createCheckout)
    .addNode("draft_email", draftEmail)
    .addEdge(START, "resolve_customer")
    .addConditionalEdges("resolve_customer", routeAfterCustomer, ["check_subscription", END])
    .addConditionalEdges("check_subscription", routeAfterSubscriptionCheck, ["sum_usage", END])
    .addConditionalEdges("sum_usage", routeAfterUsage, ["approve_checkout", "create_checkout", END])
    .addConditionalEdges("approve_checkout", routeAfterApproval, ["create_checkout", END])
    .addEdge("create_checkout", "draft_email")
    .addEdge("draft_email", END)
    .compile({ checkpointer, name: "overage-remediation" });
}

/** A customer Polar does not know ends the run. */
function routeAfterCustomer(state: OverageState) {
  return state.stopped ? END : "check_subscription";
}

/** A product that does not resolve, or no subscription an upgrade would replace, ends it. */
function routeAfterSubscriptionCheck(state: OverageState) {
  return state.stopped ? END : "sum_usage";
}

/** Under the threshold: the end. Over it: a person approves first, unless the input says not to. */
function routeAfterUsage(state: OverageState) {
  if (state.stopped) return END;
  return state.input.require_approval ? "approve_checkout" : "create_checkout";
}

/** Rejected: the end, nothing created. Approved: the checkout. */
function routeAfterApproval(state: OverageState) {
  return state.stopped ? END : "create_checkout";
}
