/**
 * Interrupts as agent-inbox reads them, and its answers as polar-flows takes them (one that does not fit: 400 `resume_rejected`). Each interrupt
 * value keeps polar-flows' own fields (kind, node, message, proposed_action, resume_schema,
 * options) and adds agent-inbox's `action_request`, `config` and `description`. An answer given
 * as `command.resume` is either polar-flows' resume object, or agent-inbox's
 * `[{ type, args }]`, turned here into the resume object the interrupt takes; the run core then
 * checks it against the interrupt's schema as for any answer.
 */
import { ResumeRejectedError } from "../runs/errors.ts";
import type { PendingInterrupt } from "../runs/runner.ts";

/** What agent-inbox may offer on an interrupt of each kind. */
const INBOX_CONFIG: Record<PendingInterrupt["kind"], InboxConfig> = {
  // Approving as proposed, or rejecting (with a note, or without: ignore). Editing an approval
  // would change what is sent after a person saw it: never offered.
  approval: { allow_accept: true, allow_respond: true, allow_edit: false, allow_ignore: true },
  // A response names the subscription; an edit gives the resume object itself.
  choice: { allow_accept: false, allow_respond: true, allow_edit: true, allow_ignore: false },
  // A response is the decision; ignoring it stops the run.
  clarification: { allow_accept: false, allow_respond: true, allow_edit: true, allow_ignore: true },
};

interface InboxConfig {
  allow_accept: boolean;
  allow_respond: boolean;
  allow_edit: boolean;
  allow_ignore: boolean;
}

/** A pending interrupt as LangGraph shows one: `{ id, value }`, the value agent-inbox's too. */
export function inboxInterrupt(pending: PendingInterrupt): {
  id: string;
  value: Record<string, unknown>;
} {
  const { id, ...fields } = pending;
  const action = pending.proposed_action.action;
  return {
    id,
    value: {
      ...fields,
      action_request: {
        action: typeof action === "string" ? action : pending.node,
        args: pending.proposed_action,
      },
      config: INBOX_CONFIG[pending.kind],
      description: pending.message,
    },
  };
}

const INBOX_TYPES = new Set(["accept", "ignore", "response", "edit"]);

interface InboxResponse {
  type: "accept" | "ignore" | "response" | "edit";
  args?: unknown;
}

function inboxResponseOf(resume: unknown): InboxResponse | null {
  const first = Array.isArray(resume) ? resume[0] : resume;
  if (typeof first !== "object" || first === null) return null;
  const type = (first as { type?: unknown }).type;
  return typeof type === "string" && INBOX_TYPES.has(type) ? (first as InboxResponse) : null;
}

/**
 * The polar-flows resume object for `command.resume`: agent-inbox's answers translated for the
 * pending interrupt, anything else passed on as it is.
 */
export function resumeFor(pending: PendingInterrupt, resume: unknown): unknown {
  const answer = inboxResponseOf(resume);
  if (answer === null) return resume;
  const allowed = INBOX_CONFIG[pending.kind];
  const text = typeof answer.args === "string" ? answer.args : null;
  switch (answer.type) {
    case "accept":
      if (!allowed.allow_accept) break;
      return { approved: true };
    case "ignore":
      if (!allowed.allow_ignore) break;
      return pending.kind === "approval" ? { approved: false } : { decision: "stop" };
    case "response": {
      if (text === null)
        throw new ResumeRejectedError("A `response` answer takes its text as `args`.");
      if (pending.kind === "approval")
        return text === "" ? { approved: false } : { approved: false, note: text };
      return pending.kind === "choice" ? { subscription_id: text } : { decision: text };
    }
    case "edit": {
      if (!allowed.allow_edit) break;
      const edited = (answer.args as { args?: unknown } | null)?.args;
      if (typeof edited !== "object" || edited === null) {
        throw new ResumeRejectedError("An `edit` answer takes `{ action, args }` as `args`.");
      }
      return edited;
    }
  }
  throw new ResumeRejectedError(
    `The ${pending.kind} at ${pending.node} does not take a \`${answer.type}\` answer.`,
  );
}
