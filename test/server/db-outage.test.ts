/**
 * The database goes away under a running run and comes back (a private PostgreSQL cluster,
 * stopped and started): meanwhile `/readyz` and `/v1` answer 503 with Retry-After, and nothing
 * is half-written; afterwards `/readyz` answers 200, the run completes by itself — its step
 * retried from the last checkpoint by the same execution, one checkout made — and its event log
 * has every status and every node the checkpoints say ran. The log tells the outage in a few
 * short lines.
 */
import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  type PrivateCluster,
  postgresBinaries,
  startPrivateCluster,
} from "../../bench/pg-cluster.ts";
import { METER } from "../../polar/simulator/seed.ts";
import { logConnectionNotice } from "../../server/logger.ts";
import { createStorage } from "../../storage/index.ts";
import { checkoutsCreatedFor } from "../helpers/scenarios.ts";
import { eventually, readEvents, startTestServer, type TestServer } from "../helpers/server.ts";

const bin = postgresBinaries();
if (!bin && process.env.CI) throw new Error("CI needs PostgreSQL's initdb and pg_ctl: set PG_BIN");
if (!bin) console.warn("no PostgreSQL binaries: skipping the database outage test");

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const INPUT = {
  customer: { external_id: "external_usr_881" },
  current_product: { name: "Starter" },
  upgrade_product: { name: "Pro" },
  usage: { meter_id: METER.id },
  require_approval: false,
};

describe.skipIf(!bin)("a database outage under a running run", { timeout: 90_000 }, () => {
  let cluster: PrivateCluster;
  let server: TestServer;
  const lines: string[] = [];

  beforeAll(async () => {
    cluster = await startPrivateCluster();
    const logger = pino(
      { level: "info" },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(...String(chunk).split("\n").filter(Boolean));
          done();
        },
      }),
    );
    const schema = `outage_${randomUUID().replaceAll("-", "")}`;
    server = await startTestServer(
      {
        kind: "postgres",
        open: () =>
          createStorage({
            databaseUrl: cluster.url,
            dataDir: "unused",
            schema,
            onConnection: (notice) => logConnectionNotice(logger, notice),
          }),
        contents: async () => "",
      },
      { logger, simulator: { latencyMs: 250 } },
    );
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await cluster?.stop();
  });

  test("503 with Retry-After while it is away; afterwards the run completes by itself, its events whole", async () => {
    const started = await server.call("POST", "/v1/workflows/overage-remediation/runs", {
      body: { input: INPUT, wait: false },
    });
    expect(started.status).toBe(201);
    const runId = started.json.run_id as string;
    // Mid-way: past its first node, before its checkout.
    await eventually(async () => {
      const { json } = await server.call("GET", `/v1/runs/${runId}/checkpoints?limit=5`);
      return Array.isArray(json?.checkpoints) && json.checkpoints.length >= 2 ? true : undefined;
    });
    expect(checkoutsCreatedFor(server.simulator.requests(), runId)).toHaveLength(0);

    await cluster.down();
    const bounded = { signal: AbortSignal.timeout(20_000) };
    const ready = await fetch(`${server.url}/readyz`, bounded);
    expect(ready.status).toBe(503);
    expect(ready.headers.get("retry-after")).toMatch(/^\d+$/);
    const read = await server.call("GET", `/v1/runs/${runId}`);
    expect(read.status).toBe(503);
    expect(read.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(read.json).toMatchObject({ type: "urn:polar-flows:problem:store-unavailable" });
    const refused = await server.call("POST", "/v1/workflows/overage-remediation/runs", {
      body: { input: INPUT, wait: false },
      headers: { "idempotency-key": "during-the-outage" },
    });
    expect(refused.status).toBe(503);
    // Long enough for the run's next checkpoint write to fail.
    await sleep(1_500);
    await cluster.up();

    await eventually(
      async () => ((await fetch(`${server.url}/readyz`)).status === 200 ? true : undefined),
      { intervalMs: 100 },
    );
    const run = await eventually(
      async () => {
        const { json } = await server.call("GET", `/v1/runs/${runId}`);
        return json?.status === "completed" || json?.status === "failed" ? json : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(run.status, JSON.stringify(run)).toBe("completed");
    expect(checkoutsCreatedFor(server.simulator.requests(), runId)).toHaveLength(1);
    // One execution: the step was retried in place, not after the lease lapsed.
    const steps = await server.storage.runs.steps(runId);
    expect(steps.filter((step) => step.kind === "claim")).toHaveLength(1);
    // Nothing half-written: the refused request made no run.
    const listed = await server.call("GET", "/v1/runs?limit=10");
    expect(listed.json.runs.map((r: { run_id: string }) => r.run_id)).toEqual([runId]);

    const { events } = await readEvents(server, runId);
    const statuses = events.filter((e) => e.event === "status").map((e) => e.data.status);
    expect(statuses[0]).toBe("queued");
    expect(statuses).toContain("running");
    expect(statuses.at(-1)).toBe("completed");
    const ids = events.map((event) => Number(event.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const nodes = new Set(events.filter((e) => e.event === "node").map((e) => e.data.node));
    const history = await server.call("GET", `/v1/runs/${runId}/checkpoints?limit=50`);
    const ran = history.json.checkpoints
      .flatMap((checkpoint: { ran: string[] }) => checkpoint.ran)
      .filter((node: string) => !node.startsWith("__"));
    expect(ran.length).toBeGreaterThan(3);
    for (const node of ran) expect(nodes, node).toContain(node);

    // The outage in the log: short lines, a loss and a recovery, the step retried.
    expect(lines.some((line) => line.includes("lost a PostgreSQL connection"))).toBe(true);
    expect(lines.some((line) => line.includes("PostgreSQL answers again"))).toBe(true);
    expect(lines.some((line) => line.includes("store away: retrying the step"))).toBe(true);
    if (process.env.SHOW_LOG) console.info(lines.join("\n"));
    for (const line of lines) {
      expect(line).not.toMatch(/connectionParameters|_connecting|"client":/);
      expect(line.length).toBeLessThan(2_000);
    }
  });
});
