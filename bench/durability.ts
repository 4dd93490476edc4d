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
import pg from "pg";
import { getWorkflow } from "../graphs/index.ts";
import { advanceRun } from "../graphs/runner.ts";
import { PolarGateway } from "../polar/gateway.ts";
import { CUSTOMERS, METER } from "../polar/simulator/seed.ts";
import { createStorage, type Storage } from "../storage/index.ts";
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

type Backend = {
  name: string;
  open(): Promise<{ checkpointer: BaseCheckpointSaver; storage?: Storage; close(): Promise<void> }>;
};

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
