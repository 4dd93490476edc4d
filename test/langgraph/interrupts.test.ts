/**
 * agent-inbox's view of each kind of interrupt, and its answers turned into the resume object
 * the interrupt takes — or refused (400 `resume_rejected`) where the interrupt does not allow
 * them. The approval paths also run end to end in test/server/langgraph.test.ts.
 */
import { describe, expect, test } from "vitest";
import { inboxInterrupt, resumeFor } from "../../langgraph/interrupts.ts";
import { ResumeRejectedError } from "../../runs/errors.ts";
import type { PendingInterrupt } from "../../runs/runner.ts";

const base = { message: "Decide", resume_schema: {} };
const approval: PendingInterrupt = {
  ...base,
  id: "i-1",
  kind: "approval",
  node: "approve_checkout",
  proposed_action: { action: "create_checkout", customer_id: "c-1" },
};
const choice: PendingInterrupt = {
  ...base,
  id: "i-2",
  kind: "choice",
  node: "choose_subscription",
  proposed_action: {},
  options: [{ id: "sub-1", label: "Pro" }],
};
const clarification: PendingInterrupt = {
  ...base,
  id: "i-3",
  kind: "clarification",
  node: "clarify_request",
  proposed_action: { action: "cancel_at_period_end" },
};

describe("interrupt values", () => {
  test("keep polar-flows' fields and add agent-inbox's", () => {
    const { id, value } = inboxInterrupt(approval);
    expect(id).toBe("i-1");
    expect(value).toMatchObject({
      kind: "approval",
      node: "approve_checkout",
      proposed_action: approval.proposed_action,
      action_request: { action: "create_checkout", args: approval.proposed_action },
      config: { allow_accept: true, allow_respond: true, allow_edit: false, allow_ignore: true },
      description: "Decide",
    });
    expect(value).not.toHaveProperty("id");
    // No action named: the node stands for it.
    expect(inboxInterrupt(choice).value.action_request).toEqual({
      action: "choose_subscription",
      args: {},
    });
  });
});

describe("agent-inbox answers", () => {
  test.each([
    [approval, [{ type: "accept", args: null }], { approved: true }],
    [approval, [{ type: "ignore", args: null }], { approved: false }],
    [approval, [{ type: "response", args: "too early" }], { approved: false, note: "too early" }],
    [approval, [{ type: "response", args: "" }], { approved: false }],
    [choice, [{ type: "response", args: "sub-1" }], { subscription_id: "sub-1" }],
    [
      choice,
      [{ type: "edit", args: { action: "x", args: { subscription_id: "sub-1" } } }],
      { subscription_id: "sub-1" },
    ],
    [clarification, [{ type: "response", args: "stop" }], { decision: "stop" }],
    [clarification, [{ type: "ignore", args: null }], { decision: "stop" }],
  ] as const)(
    "answer %# becomes the resume object the interrupt takes",
    (pending, answer, expected) => {
      expect(resumeFor(pending, answer)).toEqual(expected);
    },
  );

  test.each([
    [approval, [{ type: "edit", args: { action: "create_checkout", args: {} } }], "edit"],
    [choice, [{ type: "accept", args: null }], "accept"],
    [choice, [{ type: "ignore", args: null }], "ignore"],
    [clarification, [{ type: "accept", args: null }], "accept"],
    [approval, [{ type: "response", args: null }], "text"],
    [choice, [{ type: "edit", args: null }], "`{ action, args }`"],
  ] as const)(
    "answer %# is refused where the interrupt does not allow it",
    (pending, answer, says) => {
      expect(() => resumeFor(pending, answer)).toThrow(ResumeRejectedError);
      expect(() => resumeFor(pending, answer)).toThrow(says);
    },
  );

  test("polar-flows' own resume objects pass through unchanged", () => {
    expect(resumeFor(approval, { approved: true, note: "ok" })).toEqual({
      approved: true,
      note: "ok",
    });
    expect(resumeFor(choice, { subscription_id: "sub-1" })).toEqual({ subscription_id: "sub-1" });
    expect(resumeFor(approval, [{ type: "other" }])).toEqual([{ type: "other" }]);
  });
});
