/**
 * Polar requests per run, counted at the simulator: Polar allows 100 requests a minute in
 * sandbox and 500 in production, so requests per run bound how many customers polar-flows
 * serves. First executions, approval off; the products named by name (the costlier case).
 */
import { expect, it } from "vitest";
import { METER, SUBSCRIPTIONS } from "../../polar/simulator/seed.ts";
import { describeEachBackend } from "../helpers/backends.ts";
import { OFFBOARDING_INPUT, OVERAGE_INPUT } from "../helpers/scenarios.ts";
import { useWorkflowTests } from "./harness.ts";

describeEachBackend("Polar requests per run", (backend) => {
  const ctx = useWorkflowTests(backend);
  const sent = () => ctx.simulator.requests().map((request) => `${request.method} ${request.path}`);

  it("overage, meter path: 4 — customer state, one product list, meter quantities, checkout", async () => {
    const { result } = await ctx.runs.start("overage-remediation", {
      ...OVERAGE_INPUT,
      usage: { meter_id: METER.id },
      limit: undefined,
      require_approval: false,
    });
    expect(result).toMatchObject({ status: "completed", output: { outcome: "checkout_created" } });
    expect(sent()).toEqual([
      "GET /v1/customers/external/external_usr_881/state",
      "GET /v1/products/",
      `GET /v1/meters/${METER.id}/quantities`,
      "POST /v1/checkouts/",
    ]);
  });

  it("overage, events path: pages + 3", async () => {
    const { result } = await ctx.runs.start("overage-remediation", {
      ...OVERAGE_INPUT,
      require_approval: false,
    });
    expect(result.status).toBe("completed");
    if (result.status !== "completed") throw new Error("unreachable");
    const pages = sent().filter((request) => request === "GET /v1/events/").length;
    expect(pages).toBeGreaterThan(1);
    expect(sent()).toHaveLength(pages + 3);
  });

  it("overage with approval: the approval costs no request; the checkout is not searched for", async () => {
    const { runId, result } = await ctx.runs.start("overage-remediation", {
      ...OVERAGE_INPUT,
      usage: { meter_id: METER.id },
      limit: undefined,
    });
    expect(result.status).toBe("interrupted");
    expect(sent()).toHaveLength(3);
    await ctx.runs.resume(runId, { approved: true });
    expect(sent()).toHaveLength(4);
    expect(sent().at(-1)).toBe("POST /v1/checkouts/");
  });

  it("offboarding: 3 — customer state, one product list, the PATCH", async () => {
    const { result } = await ctx.runs.start("subscription-offboarding", {
      ...OFFBOARDING_INPUT,
      require_approval: false,
    });
    expect(result).toMatchObject({
      status: "completed",
      output: { outcome: "cancellation_scheduled" },
    });
    expect(sent()).toEqual([
      "GET /v1/customers/external/usr_offboard_1/state",
      "GET /v1/products/",
      `PATCH /v1/subscriptions/${SUBSCRIPTIONS.gracePro}`,
    ]);
  });
});
