import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { LOCAL_ACTOR } from "../../lib/actor.ts";
import { lookFirstWrite } from "../../nodes/context.ts";
import { getWriteTool } from "../../nodes/writes/index.ts";
import { PolarGatewayError } from "../../polar/errors.ts";
import { CHECKOUT_KEY_FIELD, PolarGateway } from "../../polar/gateway.ts";
import { CUSTOMERS, METER, PRODUCTS, SUBSCRIPTIONS } from "../../polar/simulator/seed.ts";
import { ToolRunFailedError } from "../../tools/errors.ts";
import { describeEachBackend } from "../helpers/backends.ts";
import { recordingClock, startTestPolar } from "../helpers/polar.ts";
import { ADA, startToolHarness, type ToolHarness } from "./harness.ts";

describeEachBackend("tools", (backend) => {
  let harness: ToolHarness;
  beforeAll(async () => {
    harness = await startToolHarness(backend);
  });
  afterAll(() => harness.close());
  beforeEach(() => harness.reset());

  const approve = async (runId: string, approved = true) =>
    harness.service.resume(LOCAL_ACTOR, runId, { resume: { approved }, wait: true });

  describe("writes: runs of tool-write, approved by a person", () => {
    test("create_checkout: pending approval (2 reads), then one checkout for the customer's Polar id (2 more)", async () => {
      const pending = await harness.call("create_checkout", {
        customer: ADA,
        product: { name: "Pro" },
        metadata: { ticket: "T-1" },
      });
      expect(pending).toMatchObject({
        status: "pending_approval",
        run: {
          workflow: "tool-write",
          status: "interrupted",
          metadata: { tool: "create_checkout" },
          interrupt: {
            kind: "approval",
            node: "approve_write",
            message: expect.stringContaining(
              `Create a Pro checkout (product ${PRODUCTS.pro.id}) for ada@example.com (customer ${CUSTOMERS.ada.id})`,
            ),
            proposed_action: { customer_id: CUSTOMERS.ada.id, product_id: PRODUCTS.pro.id },
          },
        },
      });
      expect(harness.polarRequests()).toEqual([
        "GET /v1/customers/external/external_usr_881",
        "GET /v1/products/",
      ]);
      harness.simulator.clearRequests();
      const done = await approve(pending.run!.run_id);
      expect(done).toMatchObject({
        status: "completed",
        output: { outcome: "checkout_created", checkout: { url: expect.any(String) } },
      });
      // A first execution: the journal knows nothing was sent, so nothing is searched.
      expect(harness.polarRequests()).toEqual(["POST /v1/checkouts/"]);
      const created = harness.simulator.requests().at(-1)!.body as Record<string, any>;
      expect(created.customer_id).toBe(CUSTOMERS.ada.id);
      expect(created.external_customer_id).toBeUndefined();
      expect(created.metadata).toEqual({
        ticket: "T-1",
        polar_flows_tool: "create_checkout",
        [CHECKOUT_KEY_FIELD]: pending.run!.run_id,
      });
    });

    test("create_checkout refuses an archived product, named by id or by name, and writes nothing", async () => {
      const byId = await harness.call("create_checkout", {
        customer: ADA,
        product: { id: PRODUCTS.legacy.id },
      });
      expect(byId.result).toEqual({
        outcome: "product_not_found",
        detail: `product: product ${PRODUCTS.legacy.id} ("Legacy") is archived.`,
      });
      const byName = await harness.call("create_checkout", {
        customer: ADA,
        product: { name: "Legacy" },
      });
      expect(byName.result).toEqual({
        outcome: "product_not_found",
        detail: 'product: no active product is named "Legacy".',
      });
      expect(harness.polarRequests().filter((line) => !line.startsWith("GET"))).toEqual([]);
    });

    test("a person's no ends the run `rejected`, with nothing written", async () => {
      const pending = await harness.call("create_benefit", {
        benefit: { type: "feature_flag", description: "Beta dashboard", properties: {} },
      });
      const done = await approve(pending.run!.run_id, false);
      expect(done.output).toMatchObject({ outcome: "rejected" });
      expect(harness.polarRequests().filter((line) => line.startsWith("POST"))).toEqual([]);
    });

    test("a key allowed to skip approval writes at once: ingest_event in one request", async () => {
      const answer = await harness.call(
        "ingest_event",
        { customer: ADA, name: "api_request", metadata: { endpoint: "/v1/search" } },
        { skipApproval: true },
      );
      expect(answer).toMatchObject({
        status: "completed",
        result: { outcome: "event_ingested", event: { name: "api_request" } },
      });
      expect(harness.polarRequests()).toEqual(["POST /v1/events/ingest"]);
      const sent = (harness.simulator.requests()[0]!.body as { events: Record<string, unknown>[] })
        .events[0]!;
      expect(sent).toMatchObject({
        external_customer_id: "external_usr_881",
        external_id: `polar-flows:${answer.run_id}`,
      });
      expect(sent.timestamp).toBeUndefined();
      expect(sent.customer_id).toBeUndefined();
    });

    test("schedule_cancellation: only the named customer's subscription; already scheduled sends nothing", async () => {
      const grace = { external_id: CUSTOMERS.grace.externalId };
      const wrongOwner = await harness.call("schedule_cancellation", {
        customer: grace,
        subscription_id: SUBSCRIPTIONS.adaStarter,
      });
      expect(wrongOwner.result).toMatchObject({ outcome: "not_customers_subscription" });
      const already = await harness.call("schedule_cancellation", {
        customer: { external_id: CUSTOMERS.margaret.externalId },
        subscription_id: SUBSCRIPTIONS.margaretProCancelling,
      });
      expect(already.result).toMatchObject({ outcome: "already_scheduled" });
      expect(harness.polarRequests().filter((line) => !line.startsWith("GET"))).toEqual([]);

      const pending = await harness.call("schedule_cancellation", {
        customer: grace,
        subscription_id: SUBSCRIPTIONS.gracePro,
        reason: "too_expensive",
      });
      expect(pending.run!.interrupt!.message).toMatch(
        /^End grace@example\.com's Pro subscription \([0-9a-f-]{36}\) at the end of its period \(access until .+\), reason: too_expensive\? Nothing is revoked\.$/,
      );
      harness.simulator.clearRequests();
      const done = await approve(pending.run!.run_id);
      expect(done.output).toMatchObject({
        outcome: "cancellation_scheduled",
        subscription: { id: SUBSCRIPTIONS.gracePro, cancel_at_period_end: true },
      });
      expect(harness.polarRequests()).toEqual([
        `PATCH /v1/subscriptions/${SUBSCRIPTIONS.gracePro}`,
      ]);
      expect(harness.simulator.requests().at(-1)!.body).toEqual({
        cancel_at_period_end: true,
        customer_cancellation_reason: "too_expensive",
      });
    });

    test("create_benefit: meter_credit properties as Polar's spec has them; one benefit tagged with the run", async () => {
      const answer = await harness.call(
        "create_benefit",
        {
          benefit: {
            type: "meter_credit",
            description: "5,000 extra API requests",
            properties: { units: 5000, rollover: false, meter_id: METER.id },
          },
        },
        { skipApproval: true },
      );
      expect(answer.result).toMatchObject({
        outcome: "benefit_created",
        benefit: { type: "meter_credit", description: "5,000 extra API requests" },
      });
      expect(harness.polarRequests()).toEqual(["POST /v1/benefits/"]);
      expect(harness.simulator.requests().at(-1)!.body).toMatchObject({
        type: "meter_credit",
        properties: { units: 5000, rollover: false, meter_id: METER.id },
        metadata: { polar_flows_key: answer.run_id, polar_flows_tool: "create_benefit" },
      });
    });

    test("each write's key: the write node run twice for one run (a crash after Polar answered) writes once", async () => {
      const { gateway: polar, simulator } = await startTestPolar();
      try {
        // No journal here: each write looks at Polar first, by its key.
        const context = {
          polar,
          now: () => new Date(),
          model: null,
          runId: crypto.randomUUID(),
          write: lookFirstWrite,
        };
        const cases = [
          {
            tool: "create_checkout",
            args: { customer: ADA, product: { name: "Pro" } },
            write: "POST /v1/checkouts/",
          },
          {
            tool: "create_benefit",
            args: { benefit: { type: "custom", description: "Priority support", properties: {} } },
            write: "POST /v1/benefits/",
          },
          {
            tool: "schedule_cancellation",
            args: {
              customer: { external_id: CUSTOMERS.grace.externalId },
              subscription_id: SUBSCRIPTIONS.gracePro,
            },
            write: `PATCH /v1/subscriptions/${SUBSCRIPTIONS.gracePro}`,
          },
        ] as const;
        for (const { tool: name, args, write } of cases) {
          const tool = getWriteTool(name);
          const step = await tool.plan(tool.input.parse(args), context);
          if (!("plan" in step)) throw new Error(`${name} did not plan: ${step.detail}`);
          const first = await tool.perform(step.plan, context);
          const second = await tool.perform(step.plan, context);
          expect(second.outcome).toBe(first.outcome);
          const writes = simulator
            .requests()
            .filter((request) => `${request.method} ${request.path}` === write);
          expect(writes, name).toHaveLength(1);
        }
        const ingest = getWriteTool("ingest_event");
        const step = await ingest.plan(
          ingest.input.parse({ customer: ADA, name: "tool_exactly_once" }),
          context,
        );
        if (!("plan" in step)) throw new Error("ingest_event did not plan");
        expect(await ingest.perform(step.plan, context)).toMatchObject({
          outcome: "event_ingested",
        });
        expect(await ingest.perform(step.plan, context)).toMatchObject({
          outcome: "event_ingested",
        });
        const stored = await polar.listEventsPage(
          { customer: ADA, names: ["tool_exactly_once"], sorting: "-timestamp" },
          { page: 1, limit: 10 },
        );
        expect(stored.items).toHaveLength(1);
      } finally {
        await simulator.close();
      }
    });

    test("a write Polar rejects fails the run, not retryable, and the answer names it", async () => {
      await expect(
        harness.call(
          "create_benefit",
          {
            benefit: {
              type: "meter_credit",
              description: "Credits on no meter",
              properties: { units: 1, rollover: false, meter_id: crypto.randomUUID() },
            },
          },
          { skipApproval: true },
        ),
      ).rejects.toSatisfy(
        (error) =>
          error instanceof ToolRunFailedError &&
          error.run.status === "failed" &&
          error.run.error?.code === "polar_rejected" &&
          error.run.error.retryable === false,
      );
    });
  });
});

describe("a spent Polar budget: read tools answer at once with the wait", () => {
  test("the client-side budget: the next read fails in milliseconds, retryable, with retry_after", async () => {
    const { simulator } = await startTestPolar();
    const { clock, waits } = recordingClock();
    try {
      const gateway = new PolarGateway({
        accessToken: simulator.token,
        baseUrl: simulator.url,
        clock,
        requestsPerMinute: 1,
      });
      const reads = gateway.impatient(0);
      await reads.getCustomer(ADA);
      const error = await reads.getCustomer(ADA).catch((caught: unknown) => caught);
      expect(waits, "no wait for the next window").toEqual([]);
      expect(error).toBeInstanceOf(PolarGatewayError);
      expect(error).toMatchObject({ code: "polar_rate_limited", retryable: true });
      expect((error as PolarGatewayError).retryAfterSeconds).toBeGreaterThan(0);
      expect(simulator.requests()).toHaveLength(1);
    } finally {
      await simulator.close();
    }
  });

  test("Polar's own 429: no retry loop, the error carries Polar's retry-after", async () => {
    const { simulator, gateway } = await startTestPolar();
    try {
      simulator.setFaults({ rateLimit: { requests: 1, windowMs: 60_000 } });
      const reads = gateway.impatient(2_000);
      await reads.getCustomer(ADA);
      const error = await reads.getCustomer(ADA).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: "polar_rate_limited", retryable: true });
      expect((error as PolarGatewayError).retryAfterSeconds).toBeGreaterThan(2);
      expect(simulator.requests().filter((request) => request.status === 429)).toHaveLength(1);
    } finally {
      await simulator.close();
    }
  });
});
