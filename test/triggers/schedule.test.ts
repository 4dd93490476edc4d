/**
 * Scheduled sweeps on a test clock: with two replicas on one PostgreSQL (one on SQLite), each
 * tick of a watch's schedule starts exactly one sweep, however often the replicas look; ticks
 * missed while every replica was down become one sweep at the next start; the watch shows its
 * last and next sweep.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { describeEachBackend } from "../helpers/backends.ts";
import { eventually, startTestServer, type TestServer } from "../helpers/server.ts";
import { STARTER_WATCH } from "./helpers.ts";

const MINUTE = 60_000;

describeEachBackend("scheduled sweeps", (backend) => {
  const replicas = backend.kind === "postgres" ? 2 : 1;
  let clock = Math.floor(Date.now() / MINUTE) * MINUTE + 30_000;
  const now = () => new Date(clock);
  let servers: TestServer[] = [];
  // The background look is hourly here: the test calls `tick` itself, on every replica at once.
  const start = () => startTestServer(backend, { now, sweepPollMs: 3_600_000 });

  beforeAll(async () => {
    for (let index = 0; index < replicas; index++) servers.push(await start());
    const put = await servers[0]!.call("PUT", "/v1/watches/every-minute", {
      // Nobody is 100 times over: the sweeps start no remediation, only read.
      body: { ...STARTER_WATCH, threshold_pct: 10_000, schedule: "* * * * *" },
    });
    expect(put.status).toBe(201);
    expect(put.json.next_sweep_at).toBe(new Date(clock + 30_000).toISOString());
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
  });

  const sweeps = async () =>
    (await servers[0]!.call("GET", "/v1/runs?workflow=usage-sweep&limit=100")).json.runs;
  const lookEverywhere = async () => {
    const started = await Promise.all(
      servers.flatMap((server) => [
        server.app.sweepScheduler.tick(),
        server.app.sweepScheduler.tick(),
      ]),
    );
    return started.reduce((sum, count) => sum + count, 0);
  };

  test("one sweep per tick across the replicas, however often they look", async () => {
    expect(await lookEverywhere()).toBe(0); // the first tick is not due yet
    for (let tick = 1; tick <= 4; tick++) {
      clock += MINUTE;
      expect(await lookEverywhere()).toBe(1);
      expect(await lookEverywhere()).toBe(0);
    }
    const runs = await sweeps();
    expect(runs).toHaveLength(4);
    expect(new Set(runs.map((run: any) => run.run_id)).size).toBe(4);
    const watch = (await servers[0]!.call("GET", "/v1/watches/every-minute")).json;
    expect(watch.last_sweep).toMatchObject({
      run_id: runs[0].run_id,
      started_at: now().toISOString(),
    });
    expect(watch.next_sweep_at).toBe(new Date(clock + 30_000).toISOString());
  });

  test("ticks missed while every replica was down: one sweep at the next start", async () => {
    for (const server of servers) await server.close();
    clock += 10 * MINUTE;
    servers = [await start()];
    await eventually(async () => ((await sweeps()).length === 5 ? true : undefined));
    expect(await lookEverywhere()).toBe(0);
    const watch = (await servers[0]!.call("GET", "/v1/watches/every-minute")).json;
    expect(watch.next_sweep_at).toBe(new Date(clock + 30_000).toISOString());
    const runs = await sweeps();
    for (const run of runs) {
      const settled = await eventually(async () => {
        const { json } = await servers[0]!.call("GET", `/v1/runs/${run.run_id}`);
        return json.status === "completed" ? json : undefined;
      });
      expect(settled.output).toMatchObject({ started: 0, over_threshold: [] });
    }
  });
});
