/**
 * subscription-offboarding: let a customer cancel without being billed again, keeping access
 * until the end of the paid period. It never deletes or revokes anything. DESIGN §5.2.
 */
import { Annotation, type BaseCheckpointSaver, END, START, StateGraph } from "@langchain/langgraph";
import { z } from "zod";
import { approveCancellation } from "../nodes/approve-cancellation.ts";
import { chooseSubscription } from "../nodes/choose-subscription.ts";
import { confirm } from "../nodes/confirm.ts";
import { findSubscription } from "../nodes/find-subscription.ts";
import type { ApprovalAnswer } from "../nodes/interrupts.ts";
import { resolveCustomer } from "../nodes/resolve-customer.ts";
import { scheduleCancellation } from "../nodes/schedule-cancellation.ts";
import { CancellationReason, CustomerRef } from "../polar/schemas.ts";
import { baseChannels, endWhenDecided, field, type SubscriptionSummary } from "./common.ts";

// ---- input ----

export const OffboardingInput = z.strictObject({
  customer: CustomerRef,
  subscription_id: z.uuid().nullable().default(null),
  reason: CancellationReason.optional(),
  comment: z.string().max(5000).optional(),
  request: z.string().max(5000).optional(),
  require_approval: z.boolean().default(true),
});
export type OffboardingInput = z.output<typeof OffboardingInput>;

// ---- state ----

export const OffboardingState = Annotation.Root({
  input: Annotation<OffboardingInput>,
  ...baseChannels,
  /** Active subscriptions offered when the customer has several and none was named. */
  candidates: field<SubscriptionSummary[]>(),
  subscription: field<SubscriptionSummary>(),
  approval: field<ApprovalAnswer>(),
  access_until: field<string>(),
  message: field<string>(),
  message_generated_by: field<"model" | "template">(),
});
export type OffboardingState = typeof OffboardingState.State;
export type OffboardingUpdate = typeof OffboardingState.Update;

// ---- routing ----

export function routeAfterFind(state: OffboardingState) {
  if (state.outcome) return END;
  if (!state.subscription) return "choose_subscription";
  return state.input.require_approval ? "approve_cancellation" : "schedule_cancellation";
}

export function routeAfterChoice(state: OffboardingState) {
  if (state.outcome) return END;
  return state.input.require_approval ? "approve_cancellation" : "schedule_cancellation";
}

// ---- wiring ----

export function buildSubscriptionOffboarding(checkpointer?: BaseCheckpointSaver) {
  return new StateGraph(OffboardingState)
    .addNode("resolve_customer", resolveCustomer)
    .addNode("find_subscription", findSubscription)
    .addNode("choose_subscription", chooseSubscription)
    .addNode("approve_cancellation", approveCancellation)
    .addNode("schedule_cancellation", scheduleCancellation)
    .addNode("confirm", confirm)
    .addEdge(START, "resolve_customer")
    .addConditionalEdges("resolve_customer", endWhenDecided("find_subscription"), [
      "find_subscription",
      END,
    ])
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
    .addConditionalEdges("approve_cancellation", endWhenDecided("schedule_cancellation"), ["schedule_cancellation", END])
    .addConditionalEdges("schedule_cancellation", endWhenDecided("confirm"), ["confirm", END])
    .addEdge("confirm", END)
    .compile({ checkpointer, name: "subscription-offboarding" });
}

// ---- output ----

export function offboardingOutput(state: OffboardingState) {
  return {
    outcome: state.outcome,
    ...(state.detail ? { detail: state.detail } : {}),
    customer: state.customer
      ? { id: state.customer.id, external_id: state.customer.external_id, email: state.customer.email }
      : null,
    subscription: state.subscription
      ? {
          id: state.subscription.id,
          product_name: state.subscription.product_name,
          cancel_at_period_end: state.subscription.cancel_at_period_end,
          current_period_end: state.subscription.current_period_end,
        }
      : null,
    access_until: state.access_until,
    message: state.message,
    message_generated_by: state.message_generated_by,
  };
}
