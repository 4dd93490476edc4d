/**
 * A watch's sweep over a meter with a few hundred customers, a handful over their credits:
 * exactly those get a remediation (each measuring the billing period the sweep saw, so none ends
 * under the threshold), a second sweep starts none, a dry run starts nothing, and the sweep's
 * Polar requests stay within ceil(customers / 100) × 2 + 2.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { CUSTOMERS } from "../../polar/simulator/seed.ts";
import { describeEachBackend } from "../helpers/backends.ts";
import { requestsTo } from "../helpers/polar.ts";
import { settledRun, startTestServer, type TestServer } from "../helpers/server.ts";
import { remediationsOf, STARTER_WATCH } from "./helpers.ts";

const CROWD = 300;
const CROWD_OVER = 5;

describeEachBackend("a usage sweep", (backend) => {
  let server: TestServer;
  /** Customers over their Starter credits: the seed's Ada and Edsger, and the crowd's. */
  let expectedOver: string[];

  beforeAll(async () => {
    server = await startTestServer(backend);
    const over = server.simulator.addCrowd({ customers: CROWD, over: CROWD_OVER, key: "sweep" });
    expectedOver = [CUSTOMERS.ada.id, CUSTOMERS.edsger.id, ...over.map((c) => c.id)].sort();
    const put = await server.call("PUT", "/v1/watches/starter-overage", { body: STARTER_WATCH });
    expect(put.status).toBe(201);
  });
  afterAll(() => server.close());

  test("a dry run names who would be contacted, starts nothing, within its Polar budget", async () => {
    server.simulator.clearRequests();
    const { status, json: run } = await server.call("POST", "/v1/watches/starter-overage/sweep", {
      body: { dry_run: true },
    });
    expect(status).toBe(201);
    expect(run.status).toBe("completed");
    const output = run.output;
    const pages = requestsTo(server.simulator, "GET", "/v1/customer-meters/").length;
    const sent = server.simulator.requests().length;
    expect(output.checked).toBeGreaterThanOrEqual(CROWD);
    expect(pages).toBe(Math.ceil(output.checked / 100));
    expect(output.polar_requests).toBe(sent);
    expect(sent).toBeLessThanOrEqual(Math.ceil(output.checked / 100) * 2 + 2);
    expect(output.over_threshold.map((c: any) => c.customer_id).sort()).toEqual(expectedOver);
    for (const customer of output.over_threshold) {
      expect(customer.run_id).toBeNull();
      expect(customer.pct).toBeGreaterThan(100);
    }
    expect(output).toMatchObject({ started: 0, already_started: 0, dry_run: true });
    expect(await remediationsOf(server, "starter-overage")).toEqual([]);
  });

  test("a sweep starts one remediation per customer over; each measures the period it saw", async () => {
    const { json: run } = await server.call("POST", "/v1/watches/starter-overage/sweep", {
      body: {},
    });
    expect(run.status).toBe("completed");
    expect(run.output).toMatchObject({ started: expectedOver.length, already_started: 0 });
    const runs = await remediationsOf(server, "starter-overage");
    expect(runs.map((r: any) => r.input.customer.id).sort()).toEqual(expectedOver);
    for (const remediation of runs) {
      expect(remediation.input.window.start).toEqual(expect.any(String));
      const settled = await settledRun(server, remediation.run_id);
      // Over the threshold in the window it measured: it waits for a person's approval.
      expect(settled.error).toBeNull();
      expect(settled.status).toBe("interrupted");
      expect(settled.interrupt.node).toBe("approve_checkout");
    }
    const watch = (await server.call("GET", "/v1/watches/starter-overage")).json;
    expect(watch.last_sweep).toMatchObject({ run_id: run.run_id, status: "completed" });
  });

  test("a second sweep starts none", async () => {
    const { json: run } = await server.call("POST", "/v1/watches/starter-overage/sweep", {
      body: {},
    });
    expect(run.output).toMatchObject({ started: 0, already_started: expectedOver.length });
    expect(await remediationsOf(server, "starter-overage")).toHaveLength(expectedOver.length);
  });
});
