/**
 * `server/main.ts` as its own process, killed with runs in flight: started again on the same
 * store, it finishes every run from its last checkpoint — none lost, no checkout made twice
 * (SQLite: at once; PostgreSQL: once the killed process's short test leases lapse). And a
 * SIGTERM lets in-flight steps reach a checkpoint and hands their runs back before it exits.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Main, startMain } from "../helpers/main.ts";
import { startTestPolar, type TestSimulator } from "../helpers/polar.ts";
import { checkoutsCreatedFor, OFFBOARDING_INPUT, OVERAGE_INPUT } from "../helpers/scenarios.ts";
import { call, eventually } from "../helpers/server.ts";

const databaseUrl = process.env.TEST_DATABASE_URL;

type StoreFactory = () => Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }>;

const stores: [string, StoreFactory][] = [
  [
    "sqlite",
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "polar-flows-crash-"));
      return { env: { DATA_DIR: dir }, cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  ],
];
if (databaseUrl) {
  // A database of its own: the service keeps its tables in the default schema.
  stores.push([
    "postgres",
    async () => {
      const name = `crash_${randomUUID().replaceAll("-", "")}`;
      const admin = new pg.Client({ connectionString: databaseUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = new URL(databaseUrl);
      url.pathname = `/${name}`;
      return {
        env: { DATABASE_URL: url.toString() },
        cleanup: async () => {
          const client = new pg.Client({ connectionString: databaseUrl });
          await client.connect();
          await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await client.end();
        },
      };
    },
  ]);
} else {
  console.warn("TEST_DATABASE_URL is not set: skipping the PostgreSQL half of the crash tests");
}

// Each test starts the service twice as a child process: more time than the suite's default.
describe.each(stores)("crash and restart (%s)", { timeout: 90_000 }, (_kind, makeStore) => {
  let simulator: TestSimulator;
  let store: Awaited<ReturnType<StoreFactory>>;
  let env: Record<string, string>;
  beforeAll(async () => {
    ({ simulator } = await startTestPolar({ latencyMs: 1 }));
    store = await makeStore();
    env = {
      ...store.env,
      POLAR_BASE_URL: simulator.url,
      POLAR_ACCESS_TOKEN: simulator.token,
      POLAR_RATE_LIMIT: "1000000",
      RUN_CONCURRENCY: "8",
      SHUTDOWN_GRACE_SECONDS: "10",
      RUN_LEASE_SECONDS: "2",
      RUN_LEASE_RENEW_SECONDS: "0.5",
    };
  });
  afterAll(async () => {
    await simulator?.close();
    await store?.cleanup();
  });

  async function startRuns(url: string) {
    const bodies = [
      ["overage-remediation", { ...OVERAGE_INPUT, require_approval: false }],
      ["overage-remediation", { ...OVERAGE_INPUT, require_approval: false }],
      ["overage-remediation", { ...OVERAGE_INPUT, require_approval: false }],
      ["overage-remediation", OVERAGE_INPUT],
      ["subscription-offboarding", { ...OFFBOARDING_INPUT, require_approval: false }],
      ["subscription-offboarding", OFFBOARDING_INPUT],
    ] as const;
    const started = await Promise.all(
      bodies.map(([workflow, input]) =>
        call(url, "POST", `/v1/workflows/${workflow}/runs`, { body: { input, wait: false } }),
      ),
    );
    for (const answer of started) expect(answer.status).toBe(201);
    return started.map((answer) => answer.json.run_id as string);
  }

  /** After the restart: every run pauses or ends by itself (a retryable failure is retried once). */
  async function expectAllFinished(main: Main, runIds: string[]) {
    const { url } = main;
    const runs = await eventually(
      async () => {
        const all = await Promise.all(runIds.map((id) => call(url, "GET", `/v1/runs/${id}`)));
        return all.every((answer) => !["queued", "running"].includes(answer.json.status))
          ? all.map((answer) => answer.json)
          : undefined;
      },
      { timeoutMs: 40_000 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}; the server printed: ${main.output()}`);
    });
    for (const run of runs) {
      let final = run;
      if (run.status === "failed" && run.error.retryable) {
        final = (await call(url, "POST", `/v1/runs/${run.run_id}/resume`, { body: {} })).json;
      }
      expect(["completed", "interrupted"], `${JSON.stringify(final)} ${main.output()}`).toContain(
        final.status,
      );
      if (final.workflow === "overage-remediation") {
        const checkouts = checkoutsCreatedFor(simulator.requests(), run.run_id);
        expect(checkouts.length).toBeLessThanOrEqual(1);
        if (final.status === "completed") {
          expect(final.output.outcome).toBe("checkout_created");
          expect(checkouts).toHaveLength(1);
        } else {
          expect(final.interrupt.node).toBe("approve_checkout");
          expect(checkouts).toHaveLength(0);
        }
      } else if (final.status === "completed") {
        expect(["cancellation_scheduled", "already_scheduled"]).toContain(final.output.outcome);
      }
    }
    const listed = await call(url, "GET", "/v1/runs?limit=100");
    for (const id of runIds)
      expect(listed.json.runs.map((r: { run_id: string }) => r.run_id)).toContain(id);
  }

  test("SIGKILL with runs in flight: the next start finishes every run, none lost, no duplicate checkout", async () => {
    simulator.reset();
    const first = await startMain(env);
    const runIds = await startRuns(first.url);
    // Well into the runs (the overage ones read ~150 pages of events each), then kill.
    await eventually(async () => (simulator.requests().length > 120 ? true : undefined));
    first.child.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");
    const unfinished = runIds.length;
    expect(unfinished).toBe(6);

    const second = await startMain(env);
    try {
      await expectAllFinished(second, runIds);
    } finally {
      second.child.kill("SIGTERM");
      await second.exited;
    }
  });

  test("SIGTERM: in-flight steps reach a checkpoint, the process exits 0, the next start goes on", async () => {
    simulator.reset();
    const first = await startMain(env);
    const runIds = await startRuns(first.url);
    await eventually(async () => (simulator.requests().length > 60 ? true : undefined));
    first.child.kill("SIGTERM");
    const { code } = await first.exited;
    expect(code, first.output()).toBe(0);

    const second = await startMain(env);
    try {
      await expectAllFinished(second, runIds);
    } finally {
      second.child.kill("SIGTERM");
      await second.exited;
    }
  });
});
