/**
 * subscription-offboarding, what it takes, holds and answers: the input schema, the state its
 * nodes read and update, and the output a finished run reports. The wiring is in graph.ts.
 */
import { Annotation } from "@langchain/langgraph";
import { z } from "zod";
import type { CancellationIntent } from "../../llm/rules.ts";
import type { ApprovalAnswer } from "../../nodes/interrupts.ts";
import { CancellationReason, CustomerRef } from "../../polar/schemas.ts";
import { baseChannels, field, type SubscriptionSummary } from "../common.ts";

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
