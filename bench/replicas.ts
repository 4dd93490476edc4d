/**
 * Scaling out: completed runs per second through 1, 2 and 3 replicas (`server/main.ts`
 * processes) sharing one PostgreSQL schema, next to one replica on SQLite; and the time from a
 * replica's death (SIGKILL) to another replica's takeover of the runs it held.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";
import { overageBenchInput } from "./durability.ts";
import { measure, percentile, type Row, round, startSimulatorProcess } from "./support.ts";

type Simulator = Awaited<ReturnType<typeof startSimulatorProcess>>;

interface Replica {
  url: string;
  /** Its name in run leases. */
  owner: string;
  child: ChildProcess;
  exited: Promise<void>;
}

const MAIN = join(import.meta.dirname, "../server/main.ts");
const RUNS_PER_REPLICA = 8;

async function startReplica(env: Record<string, string>): Promise<Replica> {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "error", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let printed = "";
  // The banner: the URL, then the storage (with the replica's name on PostgreSQL).
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      printed += `${line}\n`;
      if (line.includes("Storage:")) resolve();
    });
    exited.then(() => reject(new Error(`server/main.ts exited: ${printed}`)));
  });
  const url = /listening on (http:\/\/\S+)/.exec(printed)![1]!;
  const owner = /replica (\S+)/.exec(printed)?.[1] ?? "";
  return { url, owner, child, exited };
}

async function stop(replicas: Replica[]) {
  for (const replica of replicas) replica.child.kill("SIGTERM");
  await Promise.all(replicas.map((replica) => replica.exited));
}

async function completedRun(url: string, body: unknown) {
  const response = await fetch(`${url}/v1/workflows/overage-remediation/runs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const run = (await response.json()) as { status: string };
  if (response.status !== 201 || run.status !== "completed") {
    throw new Error(`bench run answered ${response.status} ${JSON.stringify(run).slice(0, 300)}`);
  }
}

/** A PostgreSQL schema for one measurement, dropped afterwards. */
async function withSchema<T>(databaseUrl: string, use: (schema: string) => Promise<T>) {
  const schema = `bench_${randomUUID().replaceAll("-", "")}`;
  try {
    return await use(schema);
  } finally {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}

export async function benchReplicas(options: { quick: boolean }): Promise<Row[]> {
  const runs = options.quick ? 40 : 300;
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  const simulator = await startSimulatorProcess();
  const common = {
    POLAR_BASE_URL: simulator.url,
    POLAR_ACCESS_TOKEN: simulator.token,
    POLAR_RATE_LIMIT: "100000000",
    API_RATE_LIMIT: "100000000",
    RUN_CONCURRENCY: String(RUNS_PER_REPLICA),
    RUN_WAIT_SECONDS: "120",
  };
  const rows: Row[] = [];

  /** `runs` completed runs, clients round-robin over the replicas, every slot kept busy. */
  async function throughput(label: string, count: number, env: Record<string, string>) {
    await simulator.reset();
    const replicas = await Promise.all(
      Array.from({ length: count }, () => startReplica({ ...common, ...env })),
    );
    try {
      const body = { input: overageBenchInput };
      const via = (index: number) => replicas[index % replicas.length]!.url;
      await measure(count * 4, count * 4, (index) => completedRun(via(index), body));
      const clients = count * RUNS_PER_REPLICA;
      const result = await measure(runs, clients, (index) => completedRun(via(index), body));
      rows.push({
        section: "replicas",
        metric: `${label}: ${count} replica${count > 1 ? "s" : ""}`,
        value: round(result.perSecond, 1),
        unit: `runs/s (p50 ${round(percentile(result.latencies, 50), 1)} ms, p99 ${round(percentile(result.latencies, 99), 1)} ms)`,
        how: `${runs} completed overage runs (meter path, approval off), wait: true, ${clients} clients round-robin; RUN_CONCURRENCY ${RUNS_PER_REPLICA} per replica`,
      });
    } finally {
      await stop(replicas);
    }
  }

  try {
    if (databaseUrl) {
      for (const count of [1, 2, 3]) {
        await withSchema(databaseUrl, (schema) =>
          throughput("postgres", count, { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema }),
        );
      }
    }
    const dataDir = await mkdtemp(join(tmpdir(), "polar-flows-bench-"));
    try {
      await throughput("sqlite", 1, { DATA_DIR: dataDir });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
    if (databaseUrl) {
      const lease = options.quick
        ? { RUN_LEASE_SECONDS: "3", RUN_LEASE_RENEW_SECONDS: "1", RUN_POLL_SECONDS: "0.5" }
        : { RUN_LEASE_SECONDS: "15", RUN_LEASE_RENEW_SECONDS: "5", RUN_POLL_SECONDS: "1" };
      rows.push(
        ...(await withSchema(databaseUrl, (schema) =>
          takeover(simulator, databaseUrl, schema, { ...common, ...lease }),
        )),
      );
    }
  } finally {
    await simulator.close();
  }
  return rows;
}

/**
 * Two replicas with long runs in flight; one is SIGKILLed. Measured: from the kill until the
 * survivor has claimed every run the dead one held, and until those runs completed.
 */
async function takeover(
  simulator: Simulator,
  databaseUrl: string,
  schema: string,
  env: Record<string, string>,
): Promise<Row[]> {
  await simulator.reset();
  const replicaEnv = { ...env, DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema };
  const [victim, survivor] = await Promise.all([
    startReplica(replicaEnv),
    startReplica(replicaEnv),
  ]);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    // The events path reads ~150 pages per run: long enough to be killed mid-run.
    const input = { ...overageBenchInput, usage: { event_name: "api_request" }, limit: 10_000 };
    for (let i = 0; i < 2 * RUNS_PER_REPLICA; i++) {
      const response = await fetch(`${victim.url}/v1/workflows/overage-remediation/runs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ input, wait: false }),
      });
      await response.arrayBuffer();
    }
    const held = async () =>
      (
        await db.query<{ run_id: string; lease_generation: number }>(
          `SELECT run_id, lease_generation FROM "${schema}".runs
           WHERE lease_owner = $1 AND status = 'running'`,
          [victim.owner],
        )
      ).rows;
    let orphans = await held();
    while (orphans.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      orphans = await held();
    }
    victim.child.kill("SIGKILL");
    const killedAt = Date.now();
    await victim.exited;
    orphans = await held();

    const ids = orphans.map((orphan) => orphan.run_id);
    const claims = new Map<string, number>();
    let finishedAt = killedAt;
    for (;;) {
      const { rows } = await db.query<{ run_id: string; status: string; claimed: Date | null }>(
        `SELECT r.run_id, r.status,
           (SELECT min(s.created_at) FROM "${schema}".run_steps s
             WHERE s.run_id = r.run_id AND s.kind = 'claim' AND s.owner = $2) AS claimed
         FROM "${schema}".runs r WHERE r.run_id = ANY($1)`,
        [ids, survivor.owner],
      );
      for (const row of rows) {
        if (row.claimed) claims.set(row.run_id, row.claimed.getTime() - killedAt);
      }
      if (rows.every((row) => row.status === "completed")) {
        finishedAt = Date.now();
        break;
      }
      if (Date.now() - killedAt > 120_000)
        throw new Error("the dead replica's runs never finished");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const times = [...claims.values()].sort((a, b) => a - b);
    const how = `SIGKILL of one of 2 replicas holding ${orphans.length} running runs; RUN_LEASE_SECONDS ${env.RUN_LEASE_SECONDS}, RUN_LEASE_RENEW_SECONDS ${env.RUN_LEASE_RENEW_SECONDS}, RUN_POLL_SECONDS ${env.RUN_POLL_SECONDS}`;
    return [
      {
        section: "replicas",
        metric: "postgres: death → takeover",
        value: round(times.at(-1)! / 1000, 2),
        unit: `s (first run ${round(times[0]! / 1000, 2)} s)`,
        how: `${how}; until the survivor claimed each of them`,
      },
      {
        section: "replicas",
        metric: "postgres: death → taken-over runs completed",
        value: round((finishedAt - killedAt) / 1000, 2),
        unit: "s",
        how: `${how}; each goes on from its last checkpoint (~150 event pages per run)`,
      },
    ];
  } finally {
    await db.end();
    await stop([survivor]);
  }
}
