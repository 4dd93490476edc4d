/**
 * Polar's webhooks: a signed `customer.state_changed` over a watch's threshold starts one
 * remediation; a replay does nothing new; a bad signature or a stale timestamp is 403 with
 * nothing stored; under the threshold nothing starts; other types are stored and acknowledged;
 * a webhook racing a sweep for the same customer makes one run; and the simulator delivers
 * them by itself after ingestion. Without a secret the endpoint is 404.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { signWebhook } from "../../polar/simulator/index.ts";
import { CUSTOMERS, METER } from "../../polar/simulator/seed.ts";
import { describeEachBackend } from "../helpers/backends.ts";
import { gatewayFor } from "../helpers/polar.ts";
import { eventually, startTestServer, type TestServer } from "../helpers/server.ts";
import { remediationsOf, STARTER_WATCH } from "./helpers.ts";

const SECRET = `polar_whs_${randomUUID().replaceAll("-", "")}`;

describeEachBackend("Polar's webhooks", (backend) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(backend, { env: { POLAR_WEBHOOK_SECRET: SECRET } });
    const put = await server.call("PUT", "/v1/watches/starter-overage", { body: STARTER_WATCH });
    expect(put.status).toBe(201);
  });
  afterAll(() => server.close());

  /** The customer's state as Polar's `customer.state_changed` carries it. */
  async function stateChanged(customerId: string) {
    const state = await fetch(`${server.simulator.url}/v1/customers/${customerId}/state`, {
      headers: { authorization: `Bearer ${server.simulator.token}` },
    }).then((response) => response.json());
    return JSON.stringify({
      type: "customer.state_changed",
      timestamp: new Date().toISOString(),
      data: state,
    });
  }

  function deliver(body: string, options: { id?: string; secret?: string; at?: number } = {}) {
    const id = options.id ?? randomUUID();
    return server.call("POST", "/v1/webhooks/polar", {
      rawBody: body,
      headers: {
        "content-type": "application/json",
        ...signWebhook(options.secret ?? SECRET, id, body, options.at),
      },
    });
  }

  const deliveries = async () =>
    (await server.call("GET", "/v1/webhooks/deliveries?limit=100")).json.deliveries;

  test("over the threshold: one remediation, measured over the billing period", async () => {
    const answer = await deliver(await stateChanged(CUSTOMERS.ada.id));
    expect(answer.status).toBe(202);
    expect(answer.json.caused.watches).toEqual([
      expect.objectContaining({ watch: "starter-overage", outcome: "started", pct: 150 }),
    ]);
    const runs = await remediationsOf(server, "starter-overage");
    expect(runs.map((run: any) => run.input.customer.id)).toEqual([CUSTOMERS.ada.id]);
    expect(runs[0].run_id).toBe(answer.json.caused.watches[0].run_id);
    expect(runs[0].input.window.start).toEqual(expect.any(String));
  });

  test("a replay acts once; the same news under another id starts nothing new", async () => {
    const body = await stateChanged(CUSTOMERS.ada.id);
    const id = randomUUID();
    const first = await deliver(body, { id });
    const replay = await deliver(body, { id });
    expect(replay.status).toBe(202);
    expect(replay.json).toMatchObject({ webhook_id: id, duplicate: true });
    expect(first.json.caused.watches[0].outcome).toBe("already_started");
    expect(await remediationsOf(server, "starter-overage")).toHaveLength(1);
    expect((await deliveries()).filter((d: any) => d.webhook_id === id)).toHaveLength(1);
  });

  test("a bad signature or a stale timestamp: 403, nothing stored", async () => {
    const body = await stateChanged(CUSTOMERS.edsger.id);
    const before = (await deliveries()).length;
    const forged = await deliver(body, { secret: "polar_whs_not_the_secret" });
    expect(forged.status).toBe(403);
    expect(forged.headers.get("content-type")).toContain("application/problem+json");
    const stale = await deliver(body, { at: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(stale.status).toBe(403);
    const unsigned = await server.call("POST", "/v1/webhooks/polar", {
      rawBody: body,
      headers: { "content-type": "application/json" },
    });
    expect(unsigned.status).toBe(403);
    expect(await deliveries()).toHaveLength(before);
    expect(await remediationsOf(server, "starter-overage")).toHaveLength(1);
  });

  test("under the threshold: stored, nothing started; other types: stored and acknowledged", async () => {
    const under = await deliver(await stateChanged(CUSTOMERS.barbara.id));
    expect(under.status).toBe(202);
    expect(under.json.caused.watches[0]).toMatchObject({ outcome: "under_threshold", pct: 20 });
    const other = await deliver(
      JSON.stringify({ type: "order.paid", timestamp: new Date().toISOString(), data: {} }),
    );
    expect(other.status).toBe(202);
    expect(other.json).toMatchObject({ type: "order.paid", caused: null });
    expect(await remediationsOf(server, "starter-overage")).toHaveLength(1);
    const [latest] = await deliveries();
    expect(latest).toMatchObject({ type: "order.paid", processed_at: expect.any(String) });
  });

  test("a webhook racing a sweep for the same customer: one run", async () => {
    expect((await server.call("PUT", "/v1/watches/race", { body: STARTER_WATCH })).status).toBe(
      201,
    );
    const body = await stateChanged(CUSTOMERS.ada.id);
    const [sweep, webhook] = await Promise.all([
      server.call("POST", "/v1/watches/race/sweep", { body: {} }),
      deliver(body),
    ]);
    expect(webhook.status).toBe(202);
    expect(sweep.json.status).toBe("completed");
    const forAda = (await remediationsOf(server, "race")).filter(
      (run: any) => run.input.customer.id === CUSTOMERS.ada.id,
    );
    expect(forAda).toHaveLength(1);
    const fromWebhook = webhook.json.caused.watches.find((w: any) => w.watch === "race");
    const fromSweep = sweep.json.output.over_threshold.find(
      (c: any) => c.customer_id === CUSTOMERS.ada.id,
    );
    expect(fromWebhook.run_id).toBe(forAda[0].run_id);
    expect(fromSweep.run_id).toBe(forAda[0].run_id);
  });

  test("the simulator delivers a signed state change after ingestion, debounced", async () => {
    const put = await server.call("PUT", "/v1/watches/low-limit", {
      body: { ...STARTER_WATCH, limit: 2_100 },
    });
    expect(put.status).toBe(201);
    server.simulator.setWebhookEndpoint({
      url: `${server.url}/v1/webhooks/polar`,
      secret: SECRET,
      debounceMs: 50,
    });
    const events = Array.from({ length: 200 }, (_, index) => ({
      name: METER.eventName,
      external_customer_id: CUSTOMERS.barbara.externalId,
      external_id: `webhook-test-${backend.kind}-${index}`,
    }));
    await gatewayFor(server.simulator).ingestEvents(events);
    const [run] = await eventually(async () => {
      const runs = await remediationsOf(server, "low-limit");
      return runs.length > 0 ? runs : undefined;
    });
    expect(run.input.customer.id).toBe(CUSTOMERS.barbara.id);
    // 200 events in one request: one debounced delivery (counted once it was answered).
    await eventually(async () => (server.simulator.webhooksDelivered() > 0 ? true : undefined));
    expect(server.simulator.webhooksDelivered()).toBe(1);
    server.simulator.setWebhookEndpoint(null);
  });

  test("without POLAR_WEBHOOK_SECRET the endpoint is 404", async () => {
    const plain = await startTestServer(backend);
    try {
      const answer = await plain.call("POST", "/v1/webhooks/polar", {
        rawBody: "{}",
        headers: { "content-type": "application/json" },
      });
      expect(answer.status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
