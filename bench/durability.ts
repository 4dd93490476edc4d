/**
 * Durability cost: the same overage runs in-process with LangGraph's MemorySaver, with the
 * SQLite store and with the PostgreSQL store → ratios of runs/s to MemorySaver. Also the
 * checkpoint footprint (rows, bytes) per completed run of each workflow.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BaseCheckpointSaver, MemorySaver } from "@langchain/langgraph";
import Database from "better-sqlite3";
import pg from "pg";
import { getWorkflow } from "../graphs/index.ts";
import { PolarGateway } from "../polar/gateway.ts";
import { CUSTOMERS, METER } from "../polar/simulator/seed.ts";
import { advanceRun } from "../runs/runner.ts";
import { createStorage, SQLITE_FILE, type Storage } from "../storage/index.ts";
import { measure, type Row, round, startSimulatorProcess } from "./support.ts";

export const overageBenchInput = {
  customer: { external_id: CUSTOMERS.ada.externalId },
  current_product: { name: "Starter" },
  upgrade_product: { name: "Pro" },
  usage: { meter_id: METER.id },
  require_approval: false,
};

export const offboardingBenchInput = {
  customer: { external_id: CUSTOMERS.grace.externalId },
  reason: "too_expensive",
  require_approval: false,
};

interface OpenedBackend {
  checkpointer: BaseCheckpointSaver;
  storage?: Storage;
  /** Rows and payload bytes of one thread's checkpoints and writes. */
  footprint?(threadId: string): Promise<{ rows: number; bytes: number }>;
  close(): Promise<void>;
}
type Backend = { name: string; open(): Promise<OpenedBackend> };

export function benchBackends(): Backend[] {
  const backends: Backend[] = [
    {
      name: "memory",
      open: async () => ({ checkpointer: new MemorySaver(), close: async () => {} }),
    },
    {
      name: "sqlite",
      open: async () => {
        const dir = await mkdtemp(join(tmpdir(), "polar-flows-bench-"));
        const storage = await createStorage({ dataDir: dir });
        return {
          checkpointer: storage.checkpointer,
          storage,
          footprint: async (threadId) => {
            const db = new Database(join(dir, SQLITE_FILE), { readonly: true });
            try {
              const sum = (sql: string) =>
                db.prepare(sql).get(threadId) as { rows: number; bytes: number };
              const checkpoints = sum(
                "SELECT count(*) AS rows, coalesce(sum(length(checkpoint) + length(metadata)), 0) AS bytes FROM checkpoints WHERE thread_id = ?",
              );
              const writes = sum(
                "SELECT count(*) AS rows, coalesce(sum(length(value)), 0) AS bytes FROM writes WHERE thread_id = ?",
              );
              return {
                rows: checkpoints.rows + writes.rows,
                bytes: checkpoints.bytes + writes.bytes,
              };
            } finally {
              db.close();
            }
          },
          close: async () => {
            await storage.close();
            await rm(dir, { recursive: true, force: true });
          },
        };
      },
    },
  ];
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (databaseUrl) {
    backends.push({
      name: "postgres",
      open: async () => {
        const schema = `bench_${randomUUID().replaceAll("-", "")}`;
        const storage = await createStorage({ databaseUrl, dataDir: "unused", schema });
        return {
          checkpointer: storage.checkpointer,
          storage,
          footprint: async (threadId) => {
            const client = new pg.Client({ connectionString: databaseUrl });
            await client.connect();
            try {
              const { rows } = await client.query(
                `SELECT sum(n)::int AS rows, sum(b)::int AS bytes FROM (
                   SELECT count(*) AS n, coalesce(sum(octet_length(checkpoint::text) + octet_length(metadata::text)), 0) AS b
                     FROM "${schema}".checkpoints WHERE thread_id = $1
                   UNION ALL SELECT count(*), coalesce(sum(octet_length(blob)), 0) FROM "${schema}".checkpoint_blobs WHERE thread_id = $1
                   UNION ALL SELECT count(*), coalesce(sum(octet_length(blob)), 0) FROM "${schema}".checkpoint_writes WHERE thread_id = $1
                 ) AS parts`,
                [threadId],
              );
              return rows[0] as { rows: number; bytes: number };
            } finally {
              await client.end();
            }
          },
          close: async () => {
            await storage.close();
            const client = new pg.Client({ connectionString: databaseUrl });
            await client.connect();
            await client.query(`DROP SCHEMA "${schema}" CASCADE`);
            await client.end();
          },
        };
      },
    });
  }
  return backends;
}

export async function benchDurability(options: { quick: boolean }): Promise<Row[]> {
  const runs = options.quick ? 40 : 200;
  const simulator = await startSimulatorProcess();
  const polar = new PolarGateway({ accessToken: simulator.token, baseUrl: simulator.url });
  const workflow = getWorkflow("overage-remediation")!;
  const input = workflow.input.parse(overageBenchInput);
  const rows: Row[] = [];
  const rates = new Map<string, number>();
  try {
    for (const backend of benchBackends()) {
      await simulator.reset();
      const opened = await backend.open();
      const graph = workflow.build(opened.checkpointer);
      const once = async () => {
        const result = await advanceRun(
          workflow,
          graph,
          randomUUID(),
          { input },
          { deps: { polar } },
        );
        if (result.status !== "completed") throw new Error(`bench run ended ${result.status}`);
      };
      await measure(5, 1, once); // warm-up: JIT, prepared statements, connections
      const { perSecond } = await measure(runs, 1, once);
      rates.set(backend.name, perSecond);
      rows.push({
        section: "durability",
        metric: `overage runs/s in-process, ${backend.name} checkpointer`,
        value: round(perSecond, 1),
        unit: "runs/s",
        how: `${runs} sequential runs, meter path, approval off, durability "sync"`,
      });
      await opened.close();
    }
    const memory = rates.get("memory")!;
    for (const [name, rate] of rates) {
      if (name === "memory") continue;
      rows.push({
        section: "durability",
        metric: `${name} ÷ memory`,
        value: round(rate / memory),
        unit: "×",
        how: "runs/s ratio, same process, same runs",
      });
    }
  } finally {
    await simulator.close();
  }
  return rows;
}
