/** A person's answer to an interrupt as it goes on record: who, when, what, and the note. */
import type { Actor } from "../lib/actor.ts";
import type { InterruptRequest } from "../nodes/interrupts.ts";
import type { RunAnswer } from "../storage/index.ts";

export function answerOf(
  actor: Actor,
  runId: string,
  pending: InterruptRequest & { id: string },
  resume: unknown,
  at: Date,
): RunAnswer {
  const given = (typeof resume === "object" && resume !== null ? resume : {}) as {
    approved?: unknown;
    note?: unknown;
  };
  return {
    run_id: runId,
    interrupt_id: pending.id,
    node: pending.node,
    kind: pending.kind,
    action:
      pending.kind === "approval"
        ? given.approved === true
          ? "approved"
          : "rejected"
        : "answered",
    answered_by: actor.name,
    answered_at: at.toISOString(),
    note: typeof given.note === "string" && given.note !== "" ? given.note : null,
    resume,
    customer_id:
      typeof pending.proposed_action.customer_id === "string"
        ? pending.proposed_action.customer_id
        : null,
  };
}
