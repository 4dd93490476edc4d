/**
 * The watches API: approver keys put, replace and delete watches and start sweeps, agent keys
 * only read them; a body that does not fit (a bad cron) is 400 naming the field, a meter or
 * product Polar does not know is 422 naming it; other tenants see nothing.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { describeEachBackend } from "../helpers/backends.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { STARTER_WATCH } from "./helpers.ts";

const APPROVER = `approver-${randomUUID()}`;
const AGENT = `agent-${randomUUID()}`;
const OTHER = `other-${randomUUID()}`;

describeEachBackend("the watches API", (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend, {
      env: {
        API_KEYS: `acme:ada:approver=${APPROVER},acme:bot:agent=${AGENT},globex=${OTHER}`,
      },
    });
  });
  afterAll(() => server.close());

  const put = (name: string, body: unknown, key = APPROVER) =>
    server.call("PUT", `/v1/watches/${name}`, { body, key });

  test("put 201, replace 200, read, list; agents read but may not change or sweep", async () => {
    const created = await put("starter", { ...STARTER_WATCH, schedule: "0 * * * *" });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      name: "starter",
      upgrade_product: { name: "Pro" },
      current_product: { name: "Starter" },
      threshold_pct: 100,
      limit: null,
      require_approval: true,
      enabled: true,
      schedule: "0 * * * *",
      last_sweep: null,
    });
    expect(new Date(created.json.next_sweep_at).getUTCMinutes()).toBe(0);
    const replaced = await put("starter", { ...STARTER_WATCH, limit: 5_000 });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({ limit: 5_000, schedule: null, next_sweep_at: null });

    const read = await server.call("GET", "/v1/watches/starter", { key: AGENT });
    expect(read.json.limit).toBe(5_000);
    const listed = await server.call("GET", "/v1/watches", { key: AGENT });
    expect(listed.json.watches.map((w: any) => w.name)).toEqual(["starter"]);
    expect((await server.call("GET", "/v1/watches", { key: OTHER })).json.watches).toEqual([]);
    expect((await server.call("GET", "/v1/watches/starter", { key: OTHER })).status).toBe(404);

    expect((await put("starter", STARTER_WATCH, AGENT)).status).toBe(403);
    const sweep = await server.call("POST", "/v1/watches/starter/sweep", { key: AGENT, body: {} });
    expect(sweep.status).toBe(403);
    expect(sweep.json.type).toBe("urn:polar-flows:problem:approver-required");
    const removed = await server.call("DELETE", "/v1/watches/starter", { key: AGENT });
    expect(removed.status).toBe(403);
  });

  test("400 names the field that does not fit; 422 names what Polar does not know", async () => {
    const cron = await put("bad", { ...STARTER_WATCH, schedule: "61 * * * *" });
    expect(cron.status).toBe(400);
    expect(cron.json.errors).toEqual([{ path: "schedule", message: expect.any(String) }]);
    const sixFields = await put("bad", { ...STARTER_WATCH, schedule: "* * * * * *" });
    expect(sixFields.status).toBe(400);
    expect(sixFields.json.errors[0].path).toBe("schedule");
    const unknownField = await put("bad", { ...STARTER_WATCH, limits: 3 });
    expect(unknownField.status).toBe(400);

    const meter = await put("bad", { ...STARTER_WATCH, meter_id: randomUUID() });
    expect(meter.status).toBe(422);
    expect(meter.json.errors).toEqual([{ path: "meter_id", message: expect.any(String) }]);
    const product = await put("bad", { ...STARTER_WATCH, upgrade_product: { name: "Platinum" } });
    expect(product.status).toBe(422);
    expect(product.json.errors.map((e: any) => e.path)).toEqual(["upgrade_product"]);
    expect((await server.call("GET", "/v1/watches/bad", { key: APPROVER })).status).toBe(404);
  });

  test("delete: 204, then 404; sweeping a watch that is not there: 404", async () => {
    expect((await put("gone", STARTER_WATCH)).status).toBe(201);
    const removed = await server.call("DELETE", "/v1/watches/gone", { key: APPROVER });
    expect(removed.status).toBe(204);
    expect((await server.call("DELETE", "/v1/watches/gone", { key: APPROVER })).status).toBe(404);
    const sweep = await server.call("POST", "/v1/watches/gone/sweep", { key: APPROVER, body: {} });
    expect(sweep.status).toBe(404);
  });

  test("an overage input's window: its end must come after its start", async () => {
    const answer = await server.call("POST", "/v1/workflows/overage-remediation/runs", {
      key: APPROVER,
      body: {
        input: {
          customer: { external_id: "external_usr_881" },
          upgrade_product: { name: "Pro" },
          usage: { meter_id: STARTER_WATCH.meter_id },
          window: { start: "2026-11-03T00:00:00Z", end: "2026-11-02T00:00:00Z" },
        },
      },
    });
    expect(answer.status).toBe(400);
    expect(answer.json.errors).toEqual([
      { path: "input.window.end", message: "must be after `start`" },
    ]);
  });
});
