import type { StateSnapshot } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import type { OverageState } from "../../graphs/overage-remediation/state.ts";
import { CHECKOUT_KEY_FIELD } from "../../polar/gateway.ts";
import {
  ADA_USAGE_BY_ENDPOINT,
  CUSTOMERS,
  METER,
  PRODUCTS,
  SUBSCRIPTIONS,
} from "../../polar/simulator/seed.ts";
import { ResumeRejectedError } from "../../runs/errors.ts";
import { describeEachBackend } from "../helpers/backends.ts";
import { gatewayFor, requestsTo } from "../helpers/polar.ts";
import { useWorkflowTests } from "./harness.ts";

const scenario1 = {
  customer: { external_id: "external_usr_881" },
  current_product: { name: "Starter" },
  upgrade_product: { name: "Pro" },
  usage: { event_name: "api_request", group_by: "endpoint" },
  window_days: 30,
  limit: 10_000,
  threshold_pct: 100,
  require_approval: true,
  success_url: "https://example.com/billing/done?checkout_id={CHECKOUT_ID}",
};

describeEachBackend("overage-remediation", (backend) => {
  const ctx = useWorkflowTests(backend);

  it("Scenario 1: 150% on Starter → approval → one Pro checkout, made with customer_id only", async () => {
    const { runId, result } = await ctx.runs.start("overage-remediation", scenario1);
    expect(result.status).toBe("interrupted");
    if (result.status !== "interrupted") throw new Error("unreachable");
    expect(result.interrupt).toMatchObject({
      node: "approve_checkout",
      kind: "approval",
      message: expect.stringMatching(
        new RegExp(
          `^Create a Pro checkout \\(product ${PRODUCTS.pro.id}\\) for ada@example\\.com \\(customer ${CUSTOMERS.ada.id}\\): usage 15,000 of 10,000 \\(150%\\) on Starter; after paying they go to `,
        ),
      ),
      proposed_action: {
        action: "create_checkout",
        customer_id: CUSTOMERS.ada.id,
        product_id: PRODUCTS.pro.id,
      },
    });
    expect(result.interrupt.resume_schema).toMatchObject({
      type: "object",
      required: ["approved"],
    });
    expect(requestsTo(ctx.simulator, "POST", "/v1/checkouts/")).toHaveLength(0);

    const done = await ctx.runs.resume(runId, { approved: true, note: "ok" });
    expect(done.status).toBe("completed");
    if (done.status !== "completed") throw new Error("unreachable");
    const output = done.output as ReturnType<
      typeof import("../../graphs/overage-remediation/state.ts").overageOutput
    >;
    expect(output.outcome).toBe("checkout_created");
    expect(output.customer).toEqual({
      id: CUSTOMERS.ada.id,
      external_id: "external_usr_881",
      email: "ada@example.com",
      name: "Ada Lovelace",
    });
    expect(output.subscription).toMatchObject({
      id: SUBSCRIPTIONS.adaStarter,
      product_name: "Starter",
      status: "active",
    });
    expect(output.usage).toMatchObject({
      total: 15_000,
      limit: 10_000,
      pct: 150,
      source: "events",
    });
    expect(output.usage?.by_group).toEqual(ADA_USAGE_BY_ENDPOINT);

    const posts = requestsTo(ctx.simulator, "POST", "/v1/checkouts/");
    expect(posts).toHaveLength(1);
    expect(posts[0]?.body).toMatchObject({
      products: [PRODUCTS.pro.id],
      customer_id: CUSTOMERS.ada.id,
      success_url: scenario1.success_url,
      metadata: { [CHECKOUT_KEY_FIELD]: runId },
    });
    expect(posts[0]?.body).not.toHaveProperty("external_customer_id");
    expect(output.checkout?.url).toMatch(/^https?:\/\//);

    expect(output.email?.generated_by).toBe("template");
    for (const figure of [
      "15,000",
      "150%",
      "10,000",
      '"/v1/search": 7,000',
      output.checkout!.url,
    ]) {
      expect(output.email?.body).toContain(figure);
    }
  });

  it("Scenario 1 rejected: outcome rejected, no checkout", async () => {
    const { runId } = await ctx.runs.start("overage-remediation", scenario1);
    const done = await ctx.runs.resume(runId, { approved: false, note: "not now" });
    expect(done).toMatchObject({
      status: "completed",
      output: { outcome: "rejected", checkout: null },
    });
    expect(requestsTo(ctx.simulator, "POST", "/v1/checkouts/")).toHaveLength(0);
  });

  it("refuses a resume that does not fit; the run stays interrupted", async () => {
    const { runId } = await ctx.runs.start("overage-remediation", scenario1);
    for (const answer of [{}, { approved: "yes" }, { approved: true, extra: 1 }]) {
      await expect(ctx.runs.resume(runId, answer)).rejects.toBeInstanceOf(ResumeRejectedError);
    }
    const snapshot = await ctx.runs
      .graph("overage-remediation")
      .getState({ configurable: { thread_id: runId } });
    expect(snapshot.next).toEqual(["approve_checkout"]);
  });

  it("skips the approval when require_approval is false", async () => {
    const { result } = await ctx.runs.start("overage-remediation", {
      ...scenario1,
      require_approval: false,
    });
    expect(result).toMatchObject({ status: "completed", output: { outcome: "checkout_created" } });
  });

  it("uses the meter path with the limit from meter credits", async () => {
    const { result } = await ctx.runs.start("overage-remediation", {
      ...scenario1,
      usage: { meter_id: METER.id },
      limit: undefined,
      require_approval: false,
    });
    expect(result.status).toBe("completed");
    if (result.status !== "completed") throw new Error("unreachable");
    expect(result.output.usage).toMatchObject({
      total: 15_000,
      limit: 10_000,
      pct: 150,
      source: "meter",
    });
    expect(requestsTo(ctx.simulator, "GET", `/v1/meters/${METER.id}/quantities`)).toHaveLength(1);
    expect(requestsTo(ctx.simulator, "GET", "/v1/events/")).toHaveLength(0);
  });

  it("refuses an events-path input without a limit before anything runs", async () => {
    await expect(
      ctx.runs.start("overage-remediation", { ...scenario1, limit: undefined }),
    ).rejects.toThrow(/limit/);
    expect(ctx.simulator.requests()).toHaveLength(0);
  });

  it.each([
    ["customer_not_found", { customer: { external_id: "nobody_here" } }],
    ["customer_not_found", { customer: { id: "00000000-0000-4000-8000-000000000000" } }],
    ["no_active_subscription", { customer: { external_id: "usr_no_sub" } }],
    ["not_eligible", { customer: { external_id: "usr_on_pro" } }],
    ["not_eligible", { current_product: { name: "Storage Add-on" } }],
    ["under_threshold", { customer: { external_id: "usr_under" } }],
    ["product_not_found", { upgrade_product: { name: "Platinum" } }],
    ["product_not_found", { upgrade_product: { name: "Legacy" } }],
    ["product_not_found", { upgrade_product: { id: PRODUCTS.legacy.id } }],
    ["product_ambiguous", { upgrade_product: { name: "Enterprise" } }],
  ])("ends with %s", async (outcome, change) => {
    const { result } = await ctx.runs.start("overage-remediation", { ...scenario1, ...change });
    expect(result.status).toBe("completed");
    if (result.status !== "completed") throw new Error("unreachable");
    expect(result.output.outcome).toBe(outcome);
    expect(result.output.detail).toEqual(expect.any(String));
    expect(requestsTo(ctx.simulator, "POST", "/v1/checkouts/")).toHaveLength(0);
  });

  it("refuses an archived upgrade product named by id, as create_checkout does", async () => {
    const { result } = await ctx.runs.start("overage-remediation", {
      ...scenario1,
      upgrade_product: { id: PRODUCTS.legacy.id },
    });
    expect(result).toMatchObject({
      status: "completed",
      output: {
        outcome: "product_not_found",
        detail: `upgrade_product: product ${PRODUCTS.legacy.id} ("Legacy") is archived.`,
      },
    });
    expect(requestsTo(ctx.simulator, "POST", "/v1/checkouts/")).toHaveLength(0);
  });

  it("parks a run on a retryable failure and resumes from the failed node, not the start", async () => {
    ctx.polar = gatewayFor(ctx.simulator, { retryPolicy: { maxAttempts: 2 } });
    const { runId } = await ctx.runs.start("overage-remediation", scenario1);
    ctx.simulator.setFaults({ rate503: 1 });
    const failed = await ctx.runs.resume(runId, { approved: true });
    expect(failed).toMatchObject({
      status: "failed",
      error: { code: "polar_unavailable", retryable: true },
    });
    const snapshot = await ctx.runs
      .graph("overage-remediation")
      .getState({ configurable: { thread_id: runId } });
    expect(snapshot.next).toEqual(["create_checkout"]);

    ctx.simulator.setFaults({ rate503: 0 });
    ctx.simulator.clearRequests();
    const done = await ctx.runs.retry(runId);
    expect(done).toMatchObject({ status: "completed", output: { outcome: "checkout_created" } });
    expect(requestsTo(ctx.simulator, "GET", "/v1/customers/")).toHaveLength(0);
    expect(requestsTo(ctx.simulator, "GET", "/v1/events/")).toHaveLength(0);
    expect(
      requestsTo(ctx.simulator, "POST", "/v1/checkouts/").filter((r) => r.status === 201),
    ).toHaveLength(1);
  });

  it("ends with polar_rejected and Polar's detail on a 422", async () => {
    const { result } = await ctx.runs.start("overage-remediation", {
      ...scenario1,
      // A valid URL, but longer than Polar accepts (2083 characters).
      success_url: `https://example.com/${"a".repeat(2100)}`,
      require_approval: false,
    });
    expect(result).toMatchObject({
      status: "failed",
      error: { code: "polar_rejected", retryable: false },
    });
    if (result.status !== "failed") throw new Error("unreachable");
    expect(result.error.message).toMatch(/422/);
  });

  it("keeps one checkpoint per step, showing which node wrote what; any state reads back", async () => {
    const { runId } = await ctx.runs.start("overage-remediation", scenario1);
    await ctx.runs.resume(runId, { approved: true });
    const graph = ctx.runs.graph("overage-remediation");
    const history: StateSnapshot[] = [];
    for await (const snapshot of graph.getStateHistory({ configurable: { thread_id: runId } }))
      history.push(snapshot);
    history.reverse();

    const steps = history.map((snapshot) => snapshot.metadata?.step);
    expect(steps).toEqual(steps.map((_, index) => index - 1));
    const wrote = history.slice(1).map((snapshot, index) => {
      const before = history[index]!.values as Record<string, unknown>;
      const after = snapshot.values as Record<string, unknown>;
      const changed = Object.keys(after).filter(
        (key) => JSON.stringify(after[key]) !== JSON.stringify(before[key]),
      );
      return [history[index]!.next.join(","), changed.sort().join(",")];
    });
    expect(wrote).toEqual([
      ["__start__", "input"],
      ["resolve_customer", "customer,holdings"],
      ["check_subscription", "subscription,upgrade_product"],
      ["sum_usage", "usage"],
      ["approve_checkout", "approval"],
      ["create_checkout", "checkout,outcome"],
      ["draft_email", "email"],
    ]);

    const atUsage = history.find((snapshot) => snapshot.next.includes("approve_checkout"))!;
    const readBack = await graph.getState(atUsage.config);
    expect((readBack.values as OverageState).usage?.total).toBe(15_000);
    expect((readBack.values as OverageState).checkout).toBeNull();

    // State holds plain, small JSON: ids and figures, never a client or a page of events.
    const finalState = JSON.stringify(history.at(-1)!.values);
    expect(finalState.length).toBeLessThan(4_000);
    expect(finalState).not.toContain(ctx.simulator.token);
  });
});

describe("overage-remediation input", () => {
  it("is a strict schema: exactly one id per reference, known fields only", async () => {
    const { OverageInput } = await import("../../graphs/overage-remediation/state.ts");
    expect(OverageInput.safeParse(scenario1).success).toBe(true);
    const bad = [
      { ...scenario1, customer: { id: CUSTOMERS.ada.id, external_id: "external_usr_881" } },
      { ...scenario1, upgrade_product: { id: PRODUCTS.pro.id, name: "Pro" } },
      { ...scenario1, surprise: true },
      { ...scenario1, usage: { event_name: "api_request", meter_id: METER.id } },
      { ...scenario1, window_days: 0 },
    ];
    for (const input of bad) expect(OverageInput.safeParse(input).success).toBe(false);
  });
});
