import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type {
  OffboardingState,
  OffboardingUpdate,
} from "../graphs/subscription-offboarding/state.ts";
import { askForClarification } from "./interrupts.ts";

const UNDERSTOOD = {
  cancel_at_period_end: "a cancellation at the end of the period",
  cancel_now: "a wish to end access now (or a refund)",
  other: "not a plain cancellation",
} as const;

const READER = { model: "The model", rules: "The rule-based reader" } as const;

/** A person settles what the customer's text meant before anything is sent to Polar. */
export async function clarifyRequest(
  state: OffboardingState,
  _config: LangGraphRunnableConfig,
): Promise<OffboardingUpdate> {
  const interpretation = state.interpretation!;
  const text = state.input.request ?? "";
  const quoted = text.length > 300 ? `${text.slice(0, 300)}…` : text;
  const concern = interpretation.concern ? `, but ${interpretation.concern}` : "";
  const answer = askForClarification(
    "clarify_request",
    `${state.customer!.email} wrote: "${quoted}". ${READER[interpretation.read_by]} read this as ` +
      `${UNDERSTOOD[interpretation.intent]}${concern}. polar-flows can only end the subscription at ` +
      "the end of its period (no further billing, access kept until then). Go on with that, or stop?",
    {
      action: "cancel_at_period_end",
      customer_id: state.customer!.id,
      understood: {
        intent: interpretation.intent,
        reason: interpretation.reason,
        read_by: interpretation.read_by,
      },
    },
  );
  const decided = {
    ...interpretation,
    decision: answer.decision,
    decided_by: "person" as const,
    ...(answer.note ? { note: answer.note } : {}),
  };
  if (answer.decision === "stop") {
    return {
      interpretation: decided,
      outcome: "rejected",
      detail: answer.note
        ? `Stopped after reading the request: ${answer.note}`
        : "Stopped after reading the request.",
      stopped: true,
    };
  }
  return { interpretation: decided };
}
