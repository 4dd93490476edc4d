/**
 * subscription-offboarding: let a customer cancel without being billed again, keeping access
 * until the end of the paid period. It never deletes or revokes anything.
 * A free-text `request` is read first (`interpret_request`); anything but a plain cancellation
 * at the period's end waits for a person (`clarify_request`) before a subscription is touched.
 */
import { Annotation, type BaseCheckpointSaver, END, START, StateGraph } from "@langchain/langgraph";
import { z } from "zod";
import type { CancellationIntent } from "../llm/rules.ts";
import { approveCancellation } from "../nodes/approve-cancellation.ts";
import { chooseSubscription } from "../nodes/choose-subscription.ts";
import { clarifyRequest } from "../nodes/clarify-request.ts";
import { confirm } from "../nodes/confirm.ts";
import { findSubscription } from "../nodes/find-subscription.ts";
import { interpretRequest } from "../nodes/interpret-request.ts";
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

/** What the customer's free-text `request` was read as, and who settled it. */
export interface RequestInterpretation {
  intent: CancellationIntent;
  reason: CancellationReason | null;
  /** The customer's explanation, quoted from the text (model only). */
  comment: string | null;
  read_by: "model" | "rules";
  /** Why the model's reading was not used (the rules read the text instead). */
  fallback_reason?: string;
  /** Why a person is asked although the reading is a plain cancellation. */
  concern?: string;
  /** Input fields the reading filled in because the caller left them out. */
  filled: ("reason" | "comment")[];
  /** null while a person has to decide (`clarify_request`). */
  decision: "cancel_at_period_end" | "stop" | null;
  decided_by: "request" | "person" | null;
  note?: string;
}

export const OffboardingState = Annotation.Root({
  input: Annotation<OffboardingInput>,
  ...baseChannels,
  interpretation: field<RequestInterpretation>(),
  /** Active subscriptions offered when the customer has several and none was named. */
  candidates: field<SubscriptionSummary[]>(),
  subscription: field<SubscriptionSummary>(),
  approval: field<ApprovalAnswer>(),
  access_until: field<string>(),
  message: field<string>(),
  message_generated_by: field<"model" | "template">(),
  /** Why the model's message was not used. */
  message_fallback_reason: field<string>(),
});
export type OffboardingState = typeof OffboardingState.State;
export type OffboardingUpdate = typeof OffboardingState.Update;

// ---- routing ----

/** A request that is not a plain cancellation at the period's end waits for a person. */
export function routeAfterInterpretation(state: OffboardingState) {
  return state.interpretation?.decision === null ? "clarify_request" : "find_subscription";
}

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
    .addNode("interpret_request", interpretRequest)
    .addNode("clarify_request", clarifyRequest)
    .addNode("find_subscription", findSubscription)
    .addNode("choose_subscription", chooseSubscription)
    .addNode("approve_cancellation", approveCancellation)
    .addNode("schedule_cancellation", scheduleCancellation)
    .addNode("confirm", confirm)
    .addEdge(START, "resolve_customer")
    .addConditionalEdges("resolve_customer", endWhenDecided("interpret_request"), [
      "interpret_request",
      END,
    ])
    .addConditionalEdges("interpret_request", routeAfterInterpretation, [
      "clarify_request",
      "find_subscription",
    ])
    .addConditionalEdges("clarify_request", endWhenDecided("find_subscription"), [
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
    .addConditionalEdges("approve_cancellation", endWhenDecided("schedule_cancellation"), [
      "schedule_cancellation",
      END,
    ])
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
      ? {
          id: state.customer.id,
          external_id: state.customer.external_id,
          email: state.customer.email,
        }
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
    ...(state.message_fallback_reason
      ? { message_fallback_reason: state.message_fallback_reason }
      : {}),
    ...(state.interpretation ? { interpretation: state.interpretation } : {}),
  };
}
