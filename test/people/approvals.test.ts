/**
 * A person approves exactly what will be sent: for every approval node, each value of the Polar
 * write that follows the approval — caught at the simulator, as it arrived over HTTP — appears
 * in the approval's `proposed_action`, and the message names the customer, product, success URL
 * or subscription, date and reason.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { CUSTOMERS, METER, PRODUCTS, SUBSCRIPTIONS } from "../../polar/simulator/seed.ts";
import { describeEachBackend } from "../helpers/backends.ts";
import { OFFBOARDING_INPUT, OVERAGE_INPUT } from "../helpers/scenarios.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

type Leaf = { path: string; key: string; value: unknown };

function leaves(value: unknown, path: string[] = []): Leaf[] {
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([key, child]) => leaves(child, [...path, key]));
  }
  return [{ path: path.join("."), key: path.at(-1) ?? "", value }];
}

/** The key the gateway tags a write with (the run's own id): bookkeeping, shown as the run. */
const RUN_TAG = /(^|\.)metadata\.polar_flows_key$/;

/**
 * Every value of the write appears in the proposed action: strings (ids, URLs, reasons) by
 * value; numbers, booleans and nulls by value under the same field name.
 */
function expectShown(
  write: { method: string; path: string; body: unknown },
  proposed: Record<string, unknown>,
) {
  const shown = leaves(proposed);
  const sent = leaves(write.body).filter((leaf) => !RUN_TAG.test(leaf.path));
  // The object a PATCH changes is named in its path.
  const target = /^\/v1\/subscriptions\/([^/]+)$/.exec(write.path)?.[1];
  if (target) sent.push({ path: "(path)", key: "subscription_id", value: target });
  expect(sent.length).toBeGreaterThan(0);
  for (const leaf of sent) {
    const found = shown.some(
      (candidate) =>
        candidate.value === leaf.value &&
        (typeof leaf.value === "string" || candidate.key === leaf.key),
    );
    expect(
      found,
      `${write.method} ${write.path}: ${leaf.path} = ${JSON.stringify(leaf.value)}`,
    ).toBe(true);
  }
}

describeEachBackend("approvals show what will be sent", (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend);
  });
  afterAll(() => server.close());

  /** Approves the run's interrupt; answers the Polar writes (not reads) the approval led to. */
  async function approveAndCatchWrites(runId: string) {
    server.simulator.clearRequests();
    const done = await server.call("POST", `/v1/runs/${runId}/resume`, {
      body: { resume: { approved: true } },
    });
    expect(done.json.status).toBe("completed");
    const writes = server.simulator
      .requests()
      .filter((request) => request.method !== "GET" && request.status < 300);
    expect(writes).toHaveLength(1);
    return writes[0]!;
  }

  test("approve_checkout: customer, product, usage and success URL; the checkout carries nothing else", async () => {
    const successUrl = "https://example.com/billing/done?checkout_id={CHECKOUT_ID}";
    const { json: run } = await server.call("POST", "/v1/workflows/overage-remediation/runs", {
      body: { input: { ...OVERAGE_INPUT, success_url: successUrl } },
    });
    const { interrupt } = run;
    expect(interrupt.node).toBe("approve_checkout");
    for (const named of [
      CUSTOMERS.ada.email,
      CUSTOMERS.ada.id,
      "Pro",
      PRODUCTS.pro.id,
      "15,000",
      "10,000",
      "150%",
      successUrl,
    ]) {
      expect(interrupt.message).toContain(named);
    }
    expect(interrupt.proposed_action).toMatchObject({
      usage_total: 15000,
      usage_limit: 10000,
      usage_pct: 150,
      usage_by_group: expect.any(Object),
      success_url: successUrl,
    });
    const write = await approveAndCatchWrites(run.run_id);
    expect(write.path).toMatch(/^\/v1\/checkouts\/?$/);
    expectShown(write, interrupt.proposed_action);
  });

  test("approve_cancellation: subscription, product, access-until date, reason and comment", async () => {
    const { json: run } = await server.call("POST", "/v1/workflows/subscription-offboarding/runs", {
      body: { input: OFFBOARDING_INPUT },
    });
    const { interrupt } = run;
    expect(interrupt.node).toBe("approve_cancellation");
    for (const named of [
      CUSTOMERS.grace.email,
      SUBSCRIPTIONS.gracePro,
      "Pro",
      "access until",
      OFFBOARDING_INPUT.reason,
      OFFBOARDING_INPUT.comment,
    ]) {
      expect(interrupt.message).toContain(named);
    }
    expect(interrupt.proposed_action.access_until).toEqual(expect.any(String));
    const write = await approveAndCatchWrites(run.run_id);
    expect(write.method).toBe("PATCH");
    expectShown(write, interrupt.proposed_action);
  });

  const writes: [string, Record<string, unknown>][] = [
    [
      "create_checkout",
      {
        customer: { external_id: CUSTOMERS.ada.externalId },
        product: { name: "Pro" },
        success_url: "https://example.com/welcome",
        metadata: { ticket: "T-1" },
      },
    ],
    [
      "schedule_cancellation",
      {
        customer: { external_id: CUSTOMERS.linus.externalId },
        subscription_id: SUBSCRIPTIONS.linusPro,
        reason: "too_expensive",
        comment: "moving elsewhere",
      },
    ],
    [
      "ingest_event",
      {
        customer: { external_id: CUSTOMERS.ada.externalId },
        name: "api_request",
        metadata: { endpoint: "/v1/search", tokens: 12, cached: false },
      },
    ],
    [
      "create_benefit",
      {
        benefit: {
          type: "meter_credit",
          description: "10k bonus requests",
          properties: { units: 10000, rollover: true, meter_id: METER.id },
        },
      },
    ],
  ];

  test.each(writes)(
    "approve_write for %s: every value of the write is in the proposed action",
    async (tool, args) => {
      const pending = await server.call("POST", `/v1/tools/${tool}/invoke`, {
        body: { arguments: args },
      });
      expect(pending.json.status).toBe("pending_approval");
      const { interrupt, run_id } = pending.json.run;
      expect(interrupt.node).toBe("approve_write");
      const write = await approveAndCatchWrites(run_id);
      expectShown(write, interrupt.proposed_action);
    },
  );
});
