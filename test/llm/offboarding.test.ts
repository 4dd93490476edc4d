/**
 * subscription-offboarding with free text: `interpret_request` (model or rules), the
 * `clarify_request` interrupt, and `confirm`'s message — against the Polar simulator over HTTP
 * and the fake OpenAI server. The one thing that must never happen: a PATCH that no person
 * approved, or one for a wish the workflow does not grant.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { formatDate } from "../../nodes/format.ts";
import { CUSTOMERS, SUBSCRIPTIONS } from "../../polar/simulator/seed.ts";
import { ResumeRejectedError } from "../../runs/errors.ts";
import type { ChatCall, FakeReply } from "../helpers/fake-openai.ts";
import { requestsTo } from "../helpers/polar.ts";
import type { WorkflowHarness } from "../workflows/harness.ts";
import { promptFacts, useLlmTests } from "./helpers.ts";

const request =
  "I want to cancel. Don't bill me next month, but keep my access until the end of the month.";
const scenario2 = {
  customer: { external_id: CUSTOMERS.grace.externalId },
  subscription_id: null,
  request,
  require_approval: true,
};

const reading = (
  intent: string,
  reason: string | null = null,
  comment: string | null = null,
): FakeReply => ({
  output: { intent, reason, comment },
});
const goodMessage = (call: ChatCall): FakeReply => {
  const facts = promptFacts(call);
  return {
    output: {
      message: `Hi ${facts.customer_name}, your ${facts.plan} subscription ends at the end of this period and you will not be billed again. Your access continues until ${facts.access_until}. Changed your mind? Keep your subscription any time before then.`,
    },
  };
};

type Output = Record<string, any>;

describe("subscription-offboarding with free text", () => {
  const ctx = useLlmTests();
  const patches = () => requestsTo(ctx.simulator, "PATCH", "/v1/subscriptions/");

  async function completed(
    result: Awaited<ReturnType<WorkflowHarness["resume"]>>,
  ): Promise<Output> {
    if (result.status !== "completed")
      throw new Error(`run ${result.status}: ${JSON.stringify(result)}`);
    return result.output as Output;
  }

  it("Scenario 2 by the model: a plain cancellation goes to the approval; reason and comment fill in", async () => {
    ctx.fake.script({
      cancellation_request: reading("cancel_at_period_end", "other", "Don't bill me next month"),
      cancellation_message: goodMessage,
    });
    const { runId, result } = await ctx.runs.start("subscription-offboarding", {
      ...scenario2,
      reason: undefined,
    });
    expect(result).toMatchObject({
      status: "interrupted",
      interrupt: { node: "approve_cancellation", kind: "approval" },
    });
    expect(patches()).toHaveLength(0);

    const output = await completed(await ctx.runs.resume(runId, { approved: true }));
    expect(output).toMatchObject({
      outcome: "cancellation_scheduled",
      message_generated_by: "model",
      interpretation: {
        intent: "cancel_at_period_end",
        read_by: "model",
        decision: "cancel_at_period_end",
        decided_by: "request",
        filled: ["reason", "comment"],
      },
    });
    expect(patches().map((patch) => patch.body)).toEqual([
      {
        cancel_at_period_end: true,
        customer_cancellation_reason: "other",
        customer_cancellation_comment: "Don't bill me next month",
      },
    ]);
    expect(output.message).toContain(formatDate(output.access_until));
    expect(ctx.fake.calls().map((call) => call.name)).toEqual([
      "cancellation_request",
      "cancellation_message",
    ]);
  });

  it("keeps the reason and comment the caller gave; a 'quote' not in the text is not used", async () => {
    ctx.fake.script({
      cancellation_request: reading(
        "cancel_at_period_end",
        "too_expensive",
        "The customer finds it pricey",
      ),
      cancellation_message: goodMessage,
    });
    const { runId } = await ctx.runs.start("subscription-offboarding", {
      ...scenario2,
      reason: "unused",
    });
    await completed(await ctx.runs.resume(runId, { approved: true }));
    expect(patches()[0]?.body).toEqual({
      cancel_at_period_end: true,
      customer_cancellation_reason: "unused",
      customer_cancellation_comment: request,
    });
  });

  it("cancel_now: a person is asked first; 'stop' ends the run and nothing reaches Polar", async () => {
    ctx.fake.script({ cancellation_request: reading("cancel_now", "too_expensive") });
    const text = "Cancel right now and refund me, it's too expensive.";
    const { runId, result } = await ctx.runs.start("subscription-offboarding", {
      ...scenario2,
      request: text,
    });
    expect(result).toMatchObject({
      status: "interrupted",
      interrupt: {
        node: "clarify_request",
        kind: "clarification",
        proposed_action: {
          action: "cancel_at_period_end",
          customer_id: CUSTOMERS.grace.id,
          understood: { intent: "cancel_now", reason: "too_expensive", read_by: "model" },
        },
        resume_schema: { properties: { decision: { enum: ["cancel_at_period_end", "stop"] } } },
      },
    });
    if (result.status !== "interrupted") throw new Error("unreachable");
    expect(result.interrupt.message).toContain(text);
    expect(result.interrupt.message).toMatch(/end access now/);
    expect(patches()).toHaveLength(0);

    // Immediate revocation is not on offer, and an answer that does not fit is refused.
    for (const answer of [{ decision: "cancel_now" }, { approved: true }, {}]) {
      await expect(ctx.runs.resume(runId, answer)).rejects.toBeInstanceOf(ResumeRejectedError);
    }
    const output = await completed(
      await ctx.runs.resume(runId, { decision: "stop", note: "call them first" }),
    );
    expect(output).toMatchObject({
      outcome: "rejected",
      interpretation: {
        intent: "cancel_now",
        decision: "stop",
        decided_by: "person",
        note: "call them first",
      },
    });
    expect(patches()).toHaveLength(0);
    expect(ctx.simulator.requests().filter((r) => r.method !== "GET")).toHaveLength(0);
  });

  it("cancel_now confirmed as a cancellation at the period's end: approval, then one PATCH of that", async () => {
    ctx.fake.script({
      cancellation_request: reading("cancel_now"),
      cancellation_message: goodMessage,
    });
    const { runId } = await ctx.runs.start("subscription-offboarding", {
      ...scenario2,
      request: "Cancel immediately please.",
    });
    const approval = await ctx.runs.resume(runId, { decision: "cancel_at_period_end" });
    expect(approval).toMatchObject({
      status: "interrupted",
      interrupt: { node: "approve_cancellation" },
    });
    expect(patches()).toHaveLength(0);
    const output = await completed(await ctx.runs.resume(runId, { approved: true }));
    expect(output).toMatchObject({
      outcome: "cancellation_scheduled",
      subscription: { id: SUBSCRIPTIONS.gracePro, cancel_at_period_end: true },
      interpretation: {
        intent: "cancel_now",
        decision: "cancel_at_period_end",
        decided_by: "person",
      },
    });
    expect(patches().map((patch) => patch.body)).toEqual([
      { cancel_at_period_end: true, customer_cancellation_comment: "Cancel immediately please." },
    ]);
  });

  it("asks a person even without an approval step, and for a text that is not a cancellation", async () => {
    ctx.fake.script({ cancellation_request: reading("other") });
    const { result } = await ctx.runs.start("subscription-offboarding", {
      ...scenario2,
      request: "How do I change my card?",
      require_approval: false,
    });
    expect(result).toMatchObject({ status: "interrupted", interrupt: { node: "clarify_request" } });
    expect(patches()).toHaveLength(0);
  });

  it("asks a person when the model reads a plain cancellation but the text asks for a refund", async () => {
    ctx.fake.script({ cancellation_request: reading("cancel_at_period_end") });
    const { result } = await ctx.runs.start("subscription-offboarding", {
      ...scenario2,
      request: "Cancel and refund my last payment.",
    });
    expect(result).toMatchObject({ status: "interrupted", interrupt: { node: "clarify_request" } });
    if (result.status !== "interrupted") throw new Error("unreachable");
    expect(result.interrupt.message).toMatch(/also reads as asking to end access now/);
  });

  it("resuming the clarification does not ask the model again", async () => {
    ctx.fake.script({
      cancellation_request: reading("cancel_now"),
      cancellation_message: goodMessage,
    });
    const { runId } = await ctx.runs.start("subscription-offboarding", {
      ...scenario2,
      request: "Cancel now.",
      require_approval: false,
    });
    await completed(await ctx.runs.resume(runId, { decision: "cancel_at_period_end" }));
    expect(ctx.fake.calls().map((call) => call.name)).toEqual([
      "cancellation_request",
      "cancellation_message",
    ]);
  });

  describe("without a model (rules)", () => {
    beforeEach(() => {
      ctx.model = null;
    });

    it("Scenario 2: a plain cancellation, straight to the approval; the text is the comment", async () => {
      const { runId, result } = await ctx.runs.start("subscription-offboarding", scenario2);
      expect(result).toMatchObject({
        status: "interrupted",
        interrupt: { node: "approve_cancellation" },
      });
      const output = await completed(await ctx.runs.resume(runId, { approved: true }));
      expect(output).toMatchObject({
        outcome: "cancellation_scheduled",
        message_generated_by: "template",
        interpretation: { intent: "cancel_at_period_end", read_by: "rules", decided_by: "request" },
      });
      expect(patches()[0]?.body).toEqual({
        cancel_at_period_end: true,
        customer_cancellation_comment: request,
      });
      expect(ctx.fake.calls()).toHaveLength(0);
    });

    it.each([
      ["Cancel immediately and refund me.", "cancel_now"],
      ["Can I get a discount instead?", "other"],
    ])("%s → %s → clarification", async (text, intent) => {
      const { result } = await ctx.runs.start("subscription-offboarding", {
        ...scenario2,
        request: text,
      });
      expect(result).toMatchObject({
        status: "interrupted",
        interrupt: {
          node: "clarify_request",
          proposed_action: { understood: { intent, read_by: "rules" } },
        },
      });
      expect(patches()).toHaveLength(0);
    });
  });

  it("falls back to the rules when the model fails, and says so", async () => {
    ctx.fake.script({ cancellation_request: { status: 500 }, cancellation_message: goodMessage });
    const { runId, result } = await ctx.runs.start("subscription-offboarding", scenario2);
    expect(result).toMatchObject({
      status: "interrupted",
      interrupt: { node: "approve_cancellation" },
    });
    const output = await completed(await ctx.runs.resume(runId, { approved: true }));
    expect(output.interpretation).toMatchObject({
      read_by: "rules",
      fallback_reason: "model server failed (500)",
    });
  });

  it("no request: interpret_request does nothing and asks no model", async () => {
    ctx.fake.script({ cancellation_message: goodMessage });
    const { runId } = await ctx.runs.start("subscription-offboarding", {
      ...scenario2,
      request: undefined,
    });
    const output = await completed(await ctx.runs.resume(runId, { approved: true }));
    expect(output).not.toHaveProperty("interpretation");
    expect(ctx.fake.calls().map((call) => call.name)).toEqual(["cancellation_message"]);
  });

  it.each([
    [
      "a wrong date",
      (m: string) => m.replace(/until .*?\./, "until January 1, 2030."),
      /date the run does not know/,
    ],
    [
      "no date",
      (m: string) => m.replace(/until .*?\./, "until the end of the month."),
      /does not state the date access ends/,
    ],
    [
      "a link",
      (m: string) => `${m} Manage it at https://billing.example.com/manage`,
      /link the run did not produce/,
    ],
  ])("confirm: a message with %s is replaced by the template", async (_case, change, reason) => {
    ctx.fake.script({
      cancellation_request: reading("cancel_at_period_end"),
      cancellation_message: (call) => {
        const good = goodMessage(call) as { output: { message: string } };
        return { output: { message: change(good.output.message) } };
      },
    });
    const { runId } = await ctx.runs.start("subscription-offboarding", scenario2);
    const output = await completed(await ctx.runs.resume(runId, { approved: true }));
    expect(output).toMatchObject({
      message_generated_by: "template",
      message_fallback_reason: expect.stringMatching(reason),
    });
    expect(output.message).toContain(`access continues until ${formatDate(output.access_until)}`);
  });

  it("confirm: malformed output falls back to the template", async () => {
    ctx.fake.script({
      cancellation_request: reading("cancel_at_period_end"),
      cancellation_message: { content: "Sure! Here is" },
    });
    const { runId } = await ctx.runs.start("subscription-offboarding", scenario2);
    const output = await completed(await ctx.runs.resume(runId, { approved: true }));
    expect(output).toMatchObject({
      message_generated_by: "template",
      message_fallback_reason: "model output is not valid JSON",
    });
  });
});
