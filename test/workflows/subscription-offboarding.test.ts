import { expect, it } from "vitest";
import { formatDate } from "../../nodes/format.ts";
import { CUSTOMERS, SUBSCRIPTIONS } from "../../polar/simulator/seed.ts";
import { ResumeRejectedError } from "../../runs/errors.ts";
import { describeEachBackend } from "../helpers/backends.ts";
import { requestsTo } from "../helpers/polar.ts";
import { useWorkflowTests } from "./harness.ts";

const scenario2 = {
  customer: { external_id: "usr_offboard_1" },
  subscription_id: null,
  reason: "too_expensive",
  comment: "free text for the record",
  require_approval: true,
};

describeEachBackend("subscription-offboarding", (backend) => {
  const ctx = useWorkflowTests(backend);

  it("Scenario 2: approval → cancel_at_period_end with the reason → the message names the end date", async () => {
    const { runId, result } = await ctx.runs.start("subscription-offboarding", scenario2);
    expect(result).toMatchObject({
      status: "interrupted",
      interrupt: {
        node: "approve_cancellation",
        kind: "approval",
        proposed_action: {
          action: "cancel_at_period_end",
          subscription_id: SUBSCRIPTIONS.gracePro,
        },
      },
    });
    expect(requestsTo(ctx.simulator, "PATCH", "/v1/subscriptions/")).toHaveLength(0);

    const done = await ctx.runs.resume(runId, { approved: true });
    expect(done.status).toBe("completed");
    if (done.status !== "completed") throw new Error("unreachable");
    const output = done.output as Record<string, any>;
    expect(output).toMatchObject({
      outcome: "cancellation_scheduled",
      customer: {
        id: CUSTOMERS.grace.id,
        external_id: "usr_offboard_1",
        email: "grace@example.com",
      },
      subscription: { id: SUBSCRIPTIONS.gracePro, product_name: "Pro", cancel_at_period_end: true },
      message_generated_by: "template",
    });
    const patches = requestsTo(
      ctx.simulator,
      "PATCH",
      `/v1/subscriptions/${SUBSCRIPTIONS.gracePro}`,
    );
    expect(patches).toHaveLength(1);
    expect(patches[0]?.body).toEqual({
      cancel_at_period_end: true,
      customer_cancellation_reason: "too_expensive",
      customer_cancellation_comment: "free text for the record",
    });

    const inPolar = await ctx.polar.getSubscription(SUBSCRIPTIONS.gracePro);
    expect(inPolar).toMatchObject({ status: "active", cancel_at_period_end: true });
    expect(output.access_until).toBe(inPolar?.current_period_end);
    expect(output.message).toContain(
      `access continues until ${formatDate(inPolar!.current_period_end!)}`,
    );
  });

  it("rejected: nothing is sent to Polar", async () => {
    const { runId } = await ctx.runs.start("subscription-offboarding", scenario2);
    const done = await ctx.runs.resume(runId, { approved: false });
    expect(done).toMatchObject({ status: "completed", output: { outcome: "rejected" } });
    expect(requestsTo(ctx.simulator, "PATCH", "/v1/")).toHaveLength(0);
  });

  it("two subscriptions: a person chooses; an id that was not offered is refused", async () => {
    const { runId, result } = await ctx.runs.start("subscription-offboarding", {
      ...scenario2,
      customer: { external_id: "usr_two_subs" },
    });
    expect(result.status).toBe("interrupted");
    if (result.status !== "interrupted") throw new Error("unreachable");
    expect(result.interrupt).toMatchObject({ node: "choose_subscription", kind: "choice" });
    expect(result.interrupt.options?.map((option) => option.id).sort()).toEqual(
      [SUBSCRIPTIONS.katherinePro, SUBSCRIPTIONS.katherineStorage].sort(),
    );

    await expect(
      ctx.runs.resume(runId, { subscription_id: SUBSCRIPTIONS.gracePro }),
    ).rejects.toBeInstanceOf(ResumeRejectedError);
    const approval = await ctx.runs.resume(runId, {
      subscription_id: SUBSCRIPTIONS.katherineStorage,
    });
    expect(approval).toMatchObject({
      status: "interrupted",
      interrupt: { node: "approve_cancellation" },
    });
    const done = await ctx.runs.resume(runId, { approved: true });
    expect(done).toMatchObject({
      status: "completed",
      output: {
        outcome: "cancellation_scheduled",
        subscription: { id: SUBSCRIPTIONS.katherineStorage },
      },
    });
    expect(requestsTo(ctx.simulator, "PATCH", "/v1/subscriptions/").map((r) => r.path)).toEqual([
      `/v1/subscriptions/${SUBSCRIPTIONS.katherineStorage}`,
    ]);
  });

  it("already cancelling: already_scheduled, no approval asked, nothing sent", async () => {
    const { result } = await ctx.runs.start("subscription-offboarding", {
      ...scenario2,
      customer: { external_id: "usr_cancelling" },
    });
    expect(result).toMatchObject({ status: "completed", output: { outcome: "already_scheduled" } });
    expect(requestsTo(ctx.simulator, "PATCH", "/v1/")).toHaveLength(0);
  });

  it.each([
    ["customer_not_found", { customer: { external_id: "nobody_here" } }],
    ["customer_not_found", { customer: { id: "00000000-0000-4000-8000-000000000000" } }],
    ["no_active_subscription", { customer: { external_id: "usr_no_sub" } }],
    // A subscription of another customer is never touched.
    ["no_active_subscription", { subscription_id: SUBSCRIPTIONS.katherinePro }],
  ])("ends with %s", async (outcome, change) => {
    const { result } = await ctx.runs.start("subscription-offboarding", {
      ...scenario2,
      ...change,
    });
    expect(result).toMatchObject({ status: "completed", output: { outcome } });
    expect(requestsTo(ctx.simulator, "PATCH", "/v1/")).toHaveLength(0);
  });

  it("names the subscription to end and skips approval when told to", async () => {
    const { result } = await ctx.runs.start("subscription-offboarding", {
      ...scenario2,
      customer: { external_id: "usr_two_subs" },
      subscription_id: SUBSCRIPTIONS.katherinePro,
      require_approval: false,
    });
    expect(result).toMatchObject({
      status: "completed",
      output: {
        outcome: "cancellation_scheduled",
        subscription: { id: SUBSCRIPTIONS.katherinePro },
      },
    });
  });
});
