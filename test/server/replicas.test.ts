/**
 * Three replicas (`server/main.ts` processes) on one PostgreSQL schema, behind a "load balancer"
 * that is this test picking a live replica at random for every request. Polar (the simulator,
 * in this process) answers 10% of requests with 429. 300 runs of both workflows are started
 * and resumed through random replicas, waits and event streams land on replicas other than the
 * one executing, and one replica is SIGKILLed midway. Then: every run is interrupted or
 * completed; no run made two checkouts or two cancellations; the lease audit (`run_steps`)
 * shows, for every run, generations that only grow and owners whose turns never overlap; and
 * the runs the killed replica held were taken over by the others.
 *
 * And a cancel through one replica stops the run on the replica executing it at once; a SIGTERM
 * drains a replica: its runs are handed back and continued by another replica at once, long
 * before their leases would have lapsed.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { METER } from "../../polar/simulator/seed.ts";
import { type Main, startMain } from "../helpers/main.ts";
import { startTestPolar, type TestSimulator } from "../helpers/polar.ts";
import { checkoutsCreatedFor } from "../helpers/scenarios.ts";
import { type ApiResponse, type CallOptions, call, readEvents } from "../helpers/server.ts";

const databaseUrl = process.env.TEST_DATABASE_URL;
if (!databaseUrl) console.warn("TEST_DATABASE_URL is not set: skipping the replica tests");

const RUNS = 300;
const REPLICAS = 3;
/** Clients at once, across all replicas. */
const CLIENTS = 24;
const SETTLED = ["interrupted", "completed", "failed", "cancelled"];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Replica {
  main: Main;
  owner: string;
  alive: boolean;
}

/** What one run was asked to do, for the checks at the end. */
interface Plan {
  workflow: "overage-remediation" | "subscription-offboarding";
  input: Record<string, unknown>;
  /** Tags the run's cancellation PATCH in the simulator's log. */
  comment?: string;
  /** Left waiting at its first interrupt. */
  leaveInterrupted: boolean;
}

describe.skipIf(!databaseUrl)("replicas on one PostgreSQL", { timeout: 170_000 }, () => {
  const schema = `replicas_${randomUUID().replaceAll("-", "")}`;
  let simulator: TestSimulator;
  let admin: pg.Client;
  let replicas: Replica[] = [];
  const baseEnv = () => ({
    DATABASE_URL: databaseUrl!,
    DATABASE_SCHEMA: schema,
    POLAR_BASE_URL: simulator.url,
    POLAR_ACCESS_TOKEN: simulator.token,
    POLAR_RATE_LIMIT: "1000000",
    API_RATE_LIMIT: "1000000",
    RUN_CONCURRENCY: "6",
    RUN_WAIT_SECONDS: "15",
    SHUTDOWN_GRACE_SECONDS: "5",
  });

  async function startReplica(env: Record<string, string>): Promise<Replica> {
    const main = await startMain({ ...baseEnv(), ...env });
    const owner = /replica (\S+)/.exec(main.output())?.[1];
    if (!owner) throw new Error(`no replica id in: ${main.output()}`);
    return { main, owner, alive: true };
  }

  beforeAll(async () => {
    ({ simulator } = await startTestPolar({
      latencyMs: 3,
      faults: { rate429: 0.1, retryAfterSeconds: 1, seed: 42 },
    }));
    admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
  });
  afterAll(async () => {
    for (const replica of replicas) {
      if (replica.alive) replica.main.child.kill("SIGKILL");
      await replica.main.exited;
    }
    await simulator?.close();
    await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin?.end();
  });

  /** A request through the "load balancer": a random live replica; another one if it died. */
  async function balanced(method: string, path: string, options?: CallOptions) {
    for (let attempt = 0; ; attempt++) {
      const live = replicas.filter((replica) => replica.alive);
      const replica = live[Math.floor(Math.random() * live.length)]!;
      try {
        return await call(replica.main.url, method, path, options);
      } catch (error) {
        if (attempt >= 5) throw error;
        await sleep(50);
      }
    }
  }

  async function runById(runId: string): Promise<any> {
    return (await balanced("GET", `/v1/runs/${runId}`)).json;
  }

  /** Event streams read, and how many ended with the run's own settled status. */
  const streams = { read: 0, endedWithStatus: 0 };

  /** Until the run pauses or ends: polling, or (every third time) its event stream. */
  async function settled(run: any, viaStream: boolean): Promise<any> {
    if (SETTLED.includes(run.status)) return run;
    if (viaStream) {
      const live = replicas.filter((replica) => replica.alive);
      const replica = live[Math.floor(Math.random() * live.length)]!;
      const stream = await readEvents(replica.main, run.run_id, { timeoutMs: 60_000 }).catch(
        () => null,
      );
      const current = await runById(run.run_id);
      if (stream && SETTLED.includes(current.status)) {
        // The stream, served by any replica, carried what the executing replica recorded, to the
        // end (unless the killed replica died between a status and its event).
        streams.read += 1;
        const last = stream.events.at(-1);
        if (last?.event === "status" && SETTLED.includes(last.data.status)) {
          streams.endedWithStatus += 1;
        }
        return current;
      }
    }
    for (;;) {
      const current = await runById(run.run_id);
      if (SETTLED.includes(current.status)) return current;
      await sleep(100);
    }
  }

  function plan(index: number): Plan {
    const leaveInterrupted = index % 10 === 9;
    if (index % 2 === 0) {
      return {
        workflow: "overage-remediation",
        input: {
          customer: { external_id: "external_usr_881" },
          current_product: { name: "Starter" },
          upgrade_product: { name: "Pro" },
          usage: { meter_id: METER.id },
          require_approval: leaveInterrupted || index % 3 !== 0,
        },
        leaveInterrupted,
      };
    }
    const customers = ["usr_offboard_1", "usr_two_subs", "usr_on_pro", "usr_under"];
    const comment = `replicas-test ${randomUUID()}`;
    return {
      workflow: "subscription-offboarding",
      input: {
        customer: { external_id: customers[index % customers.length] },
        reason: "too_expensive",
        comment,
        require_approval: leaveInterrupted || index % 3 !== 1,
      },
      comment,
      leaveInterrupted,
    };
  }

  /** One client's life with one run: start, answer its interrupts, retry its parked failures. */
  async function drive(index: number, plans: Map<string, Plan>): Promise<any> {
    const runPlan = plan(index);
    const key = randomUUID();
    let answer: ApiResponse;
    do {
      answer = await balanced("POST", `/v1/workflows/${runPlan.workflow}/runs`, {
        body: { input: runPlan.input, wait: Math.random() < 0.5 },
        headers: { "idempotency-key": key },
      });
      // 409: our first attempt is still being answered by a replica that is alive.
      if (answer.status === 409) await sleep(100);
    } while (answer.status === 409);
    expect([200, 201], answer.text).toContain(answer.status);
    plans.set(answer.json.run_id, runPlan);
    let run = answer.json;
    for (let round = 0; ; round++) {
      run = await settled(run, index % 3 === 0);
      if (run.status === "completed") return run;
      if (run.status === "interrupted") {
        if (runPlan.leaveInterrupted) return run;
        const { interrupt } = run;
        const resume =
          interrupt.kind === "choice"
            ? { subscription_id: interrupt.options[0].id }
            : { approved: true };
        const resumed = await balanced("POST", `/v1/runs/${run.run_id}/resume`, {
          body: { resume, interrupt_id: interrupt.id, wait: Math.random() < 0.5 },
        });
        // 409: an earlier attempt on a replica that died did answer it.
        run = resumed.status === 200 ? resumed.json : await runById(run.run_id);
      } else if (run.status === "failed" && run.error.retryable) {
        const retried = await balanced("POST", `/v1/runs/${run.run_id}/resume`, { body: {} });
        run = retried.status === 200 ? retried.json : await runById(run.run_id);
      } else {
        const logged = replicas
          .flatMap((replica) => replica.main.output().split("\n"))
          .filter((line) => run.error?.error_id && line.includes(run.error.error_id));
        throw new Error(`run ended ${JSON.stringify(run)}; logged: ${logged.join("\n")}`);
      }
      if (round > 20) throw new Error(`run does not settle: ${JSON.stringify(run)}`);
    }
  }

  test(`${RUNS} runs through ${REPLICAS} replicas, one SIGKILLed midway: each run executed by one replica at a time, side effects once`, async () => {
    replicas = await Promise.all(
      Array.from({ length: REPLICAS }, () =>
        startReplica({
          RUN_LEASE_SECONDS: "3",
          RUN_LEASE_RENEW_SECONDS: "1",
          RUN_POLL_SECONDS: "0.5",
        }),
      ),
    );
    const plans = new Map<string, Plan>();
    const finals: any[] = [];
    let next = 0;
    let started = 0;
    const clients = Array.from({ length: CLIENTS }, async () => {
      while (next < RUNS) {
        const index = next++;
        started += 1;
        finals.push(await drive(index, plans));
      }
    });

    // Midway, kill a replica that is executing runs right now.
    const victim = replicas[1]!;
    const held = async () =>
      (
        await admin.query<{ run_id: string; lease_generation: number }>(
          `SELECT run_id, lease_generation FROM "${schema}".runs
           WHERE lease_owner = $1 AND status = 'running'`,
          [victim.owner],
        )
      ).rows;
    while (started < RUNS / 2) await sleep(20);
    for (let tries = 0; (await held()).length === 0 && tries < 200; tries++) await sleep(10);
    victim.alive = false;
    victim.main.child.kill("SIGKILL");
    const killedAt = Date.now();
    expect((await victim.main.exited).signal).toBe("SIGKILL");
    // What it held when it died (nobody may take it over before its 3 s leases lapse).
    const orphans = await held();
    expect(orphans.length).toBeGreaterThan(0);

    await Promise.all(clients);
    expect(finals).toHaveLength(RUNS);

    // 1. Every run is interrupted (where it was left so) or completed, on every live replica.
    const requests = simulator.requests();
    for (const run of finals) {
      const runPlan = plans.get(run.run_id)!;
      const seen = await runById(run.run_id);
      expect(seen.status).toBe(run.status);
      // (A run left at its interrupt may have had none: an already scheduled cancellation.)
      expect(runPlan.leaveInterrupted ? ["interrupted", "completed"] : ["completed"]).toContain(
        seen.status,
      );
      // 2. Side effects at most once per run (and exactly once where the run made one).
      const checkouts = checkoutsCreatedFor(requests, run.run_id);
      if (runPlan.workflow === "overage-remediation") {
        expect(checkouts.length).toBe(seen.status === "completed" ? 1 : 0);
        if (seen.status === "completed") expect(seen.output.outcome).toBe("checkout_created");
      } else {
        const cancellations = requests.filter(
          (request) =>
            request.method === "PATCH" &&
            request.status < 300 &&
            (request.body as { customer_cancellation_comment?: string } | null)
              ?.customer_cancellation_comment === runPlan.comment,
        );
        expect(cancellations.length).toBeLessThanOrEqual(1);
        if (seen.status === "completed") {
          expect(["cancellation_scheduled", "already_scheduled"]).toContain(seen.output.outcome);
        }
      }
    }

    // 3. The lease audit: per run, generations only grow, each has one owner, and a new turn
    // (a claim) starts only after everything the previous turn stored.
    const { rows: steps } = await admin.query<{
      run_id: string;
      generation: number;
      owner: string;
      kind: string;
      created_at: Date;
    }>(
      `SELECT run_id, generation, owner, kind, created_at FROM "${schema}".run_steps
       ORDER BY step_id`,
    );
    const byRun = Map.groupBy(steps, (step) => step.run_id);
    expect(byRun.size).toBe(RUNS);
    const owners = new Set(replicas.map((replica) => replica.owner));
    for (const [runId, trail] of byRun) {
      const turns = new Map<number, string>();
      let generation = 0;
      let lastAt = 0;
      for (const step of trail) {
        expect(owners).toContain(step.owner);
        expect(step.generation, runId).toBeGreaterThanOrEqual(generation);
        if (step.generation > generation) {
          expect(step.kind, runId).toBe("claim");
          expect(step.created_at.getTime()).toBeGreaterThanOrEqual(lastAt);
          expect(turns.has(step.generation)).toBe(false);
          turns.set(step.generation, step.owner);
        }
        expect(turns.get(step.generation), runId).toBe(step.owner);
        generation = step.generation;
        lastAt = step.created_at.getTime();
      }
    }

    // 4. The killed replica's runs were taken over by the others, once their leases lapsed.
    const takeovers: number[] = [];
    for (const orphan of orphans) {
      const next = byRun
        .get(orphan.run_id)!
        .find((step) => step.kind === "claim" && step.generation > orphan.lease_generation);
      expect(next, orphan.run_id).toBeDefined();
      expect(next!.owner).not.toBe(victim.owner);
      takeovers.push(next!.created_at.getTime() - killedAt);
    }
    // 5. Streams served by any replica saw the runs end (allowing one lost to the kill).
    expect(streams.read).toBeGreaterThan(RUNS / 10);
    expect(streams.endedWithStatus).toBeGreaterThanOrEqual(streams.read - 1);

    const answered429 = requests.filter((request) => request.status === 429).length;
    const sharedRuns = [...byRun.values()].filter(
      (trail) => new Set(trail.map((step) => step.owner)).size > 1,
    ).length;
    console.info(
      `replicas: ${RUNS} runs, ${requests.length} Polar requests (${answered429} answered 429), ` +
        `${sharedRuns} runs executed in turns by more than one replica, ${streams.read} event streams, ` +
        `${orphans.length} runs taken over ${Math.min(...takeovers)}–${Math.max(...takeovers)} ms after the kill (lease 3 s)`,
    );
  });

  test("a cancel through another replica stops the run at once; SIGTERM drains a replica: its runs go back to the queue and another replica continues them at once", async () => {
    for (const replica of replicas) {
      if (replica.alive) replica.main.child.kill("SIGTERM");
      await replica.main.exited;
    }
    simulator.reset();
    simulator.setFaults({ rate429: 0, latencyMs: 15 });
    // Leases far longer than the test: only a hand-back lets the other replica continue.
    const env = {
      RUN_LEASE_SECONDS: "120",
      RUN_LEASE_RENEW_SECONDS: "10",
      RUN_POLL_SECONDS: "0.2",
    };
    const [leaving, staying] = await Promise.all([startReplica(env), startReplica(env)]);
    replicas = [leaving, staying];
    // Each reads ~150 pages of events.
    const longRun = async (via: Replica) =>
      (
        await call(via.main.url, "POST", "/v1/workflows/overage-remediation/runs", {
          body: {
            input: {
              customer: { external_id: "external_usr_881" },
              current_product: { name: "Starter" },
              upgrade_product: { name: "Pro" },
              usage: { event_name: "api_request", group_by: "endpoint" },
              limit: 10000,
              require_approval: false,
            },
            wait: false,
          },
        })
      ).json.run_id as string;
    const ownerOf = async (runId: string) =>
      (await admin.query(`SELECT lease_owner FROM "${schema}".runs WHERE run_id = $1`, [runId]))
        .rows[0].lease_owner as string | null;

    // Cancelled through the replica that does not execute it: no renewal is due for 10 s, yet
    // the executing replica stops reading at once.
    const doomed = await longRun(leaving);
    let owner: string | null = null;
    while (owner === null) {
      await sleep(20);
      owner = await ownerOf(doomed);
    }
    await sleep(200);
    const other = replicas.find((replica) => replica.owner !== owner)!;
    const cancelled = await call(other.main.url, "POST", `/v1/runs/${doomed}/cancel`);
    expect(cancelled.json.status).toBe("cancelled");
    await sleep(300);
    const quiet = simulator.requests().length;
    await sleep(700);
    expect(simulator.requests().length, "no Polar request after the cancel").toBe(quiet);
    expect((await runById(doomed)).status).toBe("cancelled");

    const runIds: string[] = [];
    for (let i = 0; i < 6; i++) runIds.push(await longRun(leaving));
    // Mid-way through reading ~150 pages of events each.
    let held = 0;
    while (held === 0) {
      held = (
        await admin.query(
          `SELECT count(*)::int AS n FROM "${schema}".runs WHERE lease_owner = $1`,
          [leaving.owner],
        )
      ).rows[0].n;
      await sleep(20);
    }
    await sleep(300);
    // When the leases the leaving replica holds would lapse, had it not handed them back.
    const heldUntil = new Map<string, Date>(
      (
        await admin.query(
          `SELECT run_id, lease_expires_at FROM "${schema}".runs WHERE lease_owner = $1`,
          [leaving.owner],
        )
      ).rows.map((row) => [row.run_id, new Date(row.lease_expires_at)]),
    );
    leaving.main.child.kill("SIGTERM");
    leaving.alive = false;
    const { code } = await leaving.main.exited;
    expect(code, leaving.main.output()).toBe(0);

    for (const runId of runIds) {
      let run = await runById(runId);
      while (!SETTLED.includes(run.status)) {
        await sleep(100);
        run = await runById(runId);
      }
      expect(run.status).toBe("completed");
      expect(checkoutsCreatedFor(simulator.requests(), runId)).toHaveLength(1);
    }
    const { rows } = await admin.query(
      `SELECT DISTINCT owner FROM "${schema}".run_steps WHERE run_id = ANY($1)`,
      [runIds],
    );
    expect(rows.map((row) => row.owner)).toContain(staying.owner);
    // The staying replica took each handed-back run long before its 120 s lease would lapse.
    expect(heldUntil.size).toBeGreaterThan(0);
    for (const [runId, until] of heldUntil) {
      const { rows: claims } = await admin.query(
        `SELECT created_at FROM "${schema}".run_steps
         WHERE run_id = $1 AND owner = $2 AND kind = 'claim'`,
        [runId, staying.owner],
      );
      expect(claims.length, runId).toBeGreaterThan(0);
      expect(new Date(claims[0].created_at).getTime(), runId).toBeLessThan(until.getTime());
    }
  });
});
