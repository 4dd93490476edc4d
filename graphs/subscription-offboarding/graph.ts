/**
 * subscription-offboarding: let a customer cancel without being billed again, keeping access
 * until the end of the paid period. It never deletes or revokes anything.
 * A free-text `request` is read first (`interpret_request`); anything but a plain cancellation
 * at the period's end waits for a person (`clarify_request`) before a subscription is touched.
 */
import { type BaseCheckpointSaver, END, START, StateGraph } from "@langchain/langgraph";
import { approveCancellation } from "../../nodes/approve-cancellation.ts";
import { chooseSubscription } from "../../nodes/choose-subscription.ts";
import { clarifyRequest } from "../../nodes/clarify-request.ts";
import { confirm } from "../../nodes/confirm.ts";
import { findSubscription } from "../../nodes/find-subscription.ts";
import { interpretRequest } from "../../nodes/interpret-request.ts";
import { resolveCustomer } from "../../nodes/resolve-customer.ts";
import { scheduleCancellation } from "../../nodes/schedule-cancellation.ts";
import { OffboardingState } from "./state.ts";

export function buildSubscriptionOffboarding(checkpointer?: BaseCheckpointSaver) {
  return new StateGraph(OffboardingState)
    .addNode("resolve_customer", resolveCustomer)
    .addNode("interpret_request", interpretRequest)
    .addNode("clarify_request", clarifyRequest)
    .addNode("find_subscription", findSubscription)
    .addNode("choose_subscription", chooseSubscription)
    .addNode("approve_cancellation", approveCancellation)
    .addNode("schedule_cancellation", scheduleCancellation)
    .addNode("confirm", confirm)
    .addEdge(START, "resolve_customer")
    .addConditionalEdges("resolve_customer", routeAfterCustomer, ["interpret_request", END])
    .addConditionalEdges("interpret_request", routeAfterInterpretation, [
      "clarify_request",
      "find_subscription",
    ])
    .addConditionalEdges("clarify_request", routeAfterClarification, ["find_subscription", END])
    .addConditionalEdges("find_subscription", routeAfterFind, [
      "choose_subscription",
      "approve_cancellation",
      "schedule_cancellation",
      END,
    ])
    .addConditionalEdges("choose_subscription", routeAfterChoice, [
      "approve_cancellation",
      "schedule_cancellation",
      END,
    ])
    .addConditionalEdges("approve_cancellation", routeAfterApproval, ["schedule_cancellation", END])
    .addConditionalEdges("schedule_cancellation", routeAfterScheduling, ["confirm", END])
    .addEdge("confirm", END)
    .compile({ checkpointer, name: "subscription-offboarding" });
}

/** A customer Polar does not know ends the run. */
function routeAfterCustomer(state: OffboardingState) {
  return state.stopped ? END : "interpret_request";
}

/** A request that is not a plain cancellation at the period's end waits for a person. */
function routeAfterInterpretation(state: OffboardingState) {
  return state.interpretation?.decision === null ? "clarify_request" : "find_subscription";
}

/** The person said stop: the end. Go on: find the subscription. */
function routeAfterClarification(state: OffboardingState) {
  return state.stopped ? END : "find_subscription";
}

/**
 * No active subscription (or it already ends): the end. Several and none named: a person
 * chooses. One: approval first, unless the input says not to.
 */
function routeAfterFind(state: OffboardingState) {
  if (state.stopped) return END;
  if (!state.subscription) return "choose_subscription";
  return state.input.require_approval ? "approve_cancellation" : "schedule_cancellation";
}

/** The chosen one already ends: the end. Otherwise approval first, unless the input says not to. */
function routeAfterChoice(state: OffboardingState) {
  if (state.stopped) return END;
  return state.input.require_approval ? "approve_cancellation" : "schedule_cancellation";
}

/** Rejected: the end, nothing sent. Approved: schedule the end. */
function routeAfterApproval(state: OffboardingState) {
  return state.stopped ? END : "schedule_cancellation";
}

/** The subscription vanished from Polar: the end. Scheduled: tell the customer. */
function routeAfterScheduling(state: OffboardingState) {
  return state.stopped ? END : "confirm";
}
