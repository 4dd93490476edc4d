/**
 * Pauses for a person. Every interrupt carries what the person needs to decide and the JSON
 * Schema of the answer; the same zod schema checks the answer before the run resumes
 * (`resumeSchemaFor`) and again inside the node.
 */
import { interrupt } from "@langchain/langgraph";
import { z } from "zod";
import { visiblyEscaped } from "../lib/text.ts";

export type InterruptKind = "approval" | "choice" | "clarification";

export interface InterruptRequest {
  kind: InterruptKind;
  node: string;
  message: string;
  proposed_action: Record<string, unknown>;
  resume_schema: Record<string, unknown>;
  /** The ids a `choice` offers. */
  options?: { id: string; label: string }[];
}

export const ApprovalAnswer = z.strictObject({
  approved: z.boolean(),
  note: z.string().max(2000).optional(),
});
export type ApprovalAnswer = z.infer<typeof ApprovalAnswer>;

function choiceAnswer(ids: string[]) {
  return z.strictObject({
    subscription_id: z.enum(ids as [string, ...string[]], {
      error: `must be one of the offered subscriptions: ${ids.join(", ")}`,
    }),
  });
}

/**
 * A person's answer to `clarify_request`: go on with the end at the period's end, or stop.
 * Ending access now is not on offer — polar-flows does not revoke.
 */
export const ClarificationAnswer = z.strictObject({
  decision: z.enum(["cancel_at_period_end", "stop"]),
  note: z.string().max(2000).optional(),
});
export type ClarificationAnswer = z.infer<typeof ClarificationAnswer>;

/** The answer each clarification takes, by the node that asks it. */
interface ClarificationAnswers {
  clarify_request: ClarificationAnswer;
}
type ClarifyingNode = keyof ClarificationAnswers;

/**
 * Their schemas: one explicit table that both the asking node (`askForClarification`) and the
 * resume check (`resumeSchemaFor`) read, so the two cannot disagree.
 */
const clarificationAnswers: { [Node in ClarifyingNode]: z.ZodType<ClarificationAnswers[Node]> } = {
  clarify_request: ClarificationAnswer,
};

/** The schema a resume payload must fit, rebuilt from the pending interrupt itself. */
export function resumeSchemaFor(request: InterruptRequest): z.ZodType {
  switch (request.kind) {
    case "approval":
      return ApprovalAnswer;
    case "choice":
      return choiceAnswer((request.options ?? []).map((option) => option.id));
    case "clarification": {
      if (!Object.hasOwn(clarificationAnswers, request.node))
        throw new Error(`no answer schema for a clarification at ${request.node}`);
      return clarificationAnswers[request.node as ClarifyingNode];
    }
  }
}

function ask<T>(request: Omit<InterruptRequest, "resume_schema">, schema: z.ZodType<T>): T {
  // Names from Polar's records may hide characters that change what a person reads: shown.
  const answer = interrupt({
    ...request,
    message: visiblyEscaped(request.message),
    ...(request.options
      ? {
          options: request.options.map((option) => ({
            ...option,
            label: visiblyEscaped(option.label),
          })),
        }
      : {}),
    resume_schema: z.toJSONSchema(schema),
  });
  return schema.parse(answer);
}

export function askForApproval(
  node: string,
  message: string,
  proposedAction: Record<string, unknown>,
): ApprovalAnswer {
  return ask({ kind: "approval", node, message, proposed_action: proposedAction }, ApprovalAnswer);
}

export function askForChoice(
  node: string,
  message: string,
  options: { id: string; label: string }[],
  proposedAction: Record<string, unknown>,
): string {
  const ids = options.map((option) => option.id);
  return ask(
    { kind: "choice", node, message, options, proposed_action: proposedAction },
    choiceAnswer(ids),
  ).subscription_id;
}

export function askForClarification<Node extends ClarifyingNode>(
  node: Node,
  message: string,
  proposedAction: Record<string, unknown>,
): ClarificationAnswers[Node] {
  return ask(
    { kind: "clarification", node, message, proposed_action: proposedAction },
    clarificationAnswers[node],
  );
}

/** The state update an approval answer makes: the answer, and the end of the run when it is no. */
export function settleApproval(answer: ApprovalAnswer): {
  approval: ApprovalAnswer;
  outcome?: "rejected";
  detail?: string;
  stopped?: true;
} {
  if (answer.approved) return { approval: answer };
  const detail = answer.note ? `Rejected: ${answer.note}` : "Rejected at approval.";
  return { approval: answer, outcome: "rejected", detail, stopped: true };
}
