/**
 * The service over HTTP, side by side with the same graphs in-process: overhead ratio,
 * throughput and latency at concurrency 1/8/32 (SQLite and PostgreSQL), the read path with
 * 10,000 runs stored next to /healthz, and checkpoint rows and bytes per completed run.
 */
import { randomUUID } from "node:crypto";
import { getWorkflow } from "../graphs/index.ts";
import { PolarGateway } from "../polar/gateway.ts";
import { advanceRun } from "../runs/runner.ts";
import { buildApp } from "../server/app.ts";
import { loadConfig } from "../server/config.ts";
import type { Storage } from "../storage/index.ts";
import { benchBackends, offboardingBenchInput, overageBenchInput } from "./durability.ts";
import { measure, percentile, type Row, round, startSimulatorProcess } from "./support.ts";

type Simulator = Awaited<ReturnType<typeof startSimulatorProcess>>;

async function serve(storage: Storage, simulator: Simulator, concurrency: number) {
  // The per-caller API budget is lifted: the bench is one caller measuring the service itself.
  const config = {
    ...loadConfig({ LOG_LEVEL: "silent", API_RATE_LIMIT: "100000000" }),
    runs: { waitSeconds: 60, concurrency },
  };
  const polar = new PolarGateway({ accessToken: simulator.token, baseUrl: simulator.url });
  const app = await buildApp({ config, storage, polar, model: null });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return { url, close: () => app.close() };
}

async function startRun(url: string, workflow: string, input: unknown) {
  const response = await fetch(`${url}/v1/workflows/${workflow}/runs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ input }),
  });
  const run = (await response.json()) as { status: string; run_id: string };
  if (response.status !== 201 || run.status !== "completed") {
    throw new Error(`bench run answered ${response.status} ${JSON.stringify(run).slice(0, 300)}`);
  }
  return run;
}

async function get(url: string) {
  const response = await fetch(url);
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
}

export async function benchHttp(options: { quick: boolean }): Promise<Row[]> {
  const runs = options.quick ? 30 : 200;
  const simulator = await startSimulatorProcess();
  const rows: Row[] = [];
  try {
    for (const backend of benchBackends().filter((b) => b.name !== "memory")) {
      const label = backend.name;

      // 1. Service overhead: the same runs in-process and through the API, same store.
      await simulator.reset();
      const opened = await backend.open();
      const storage = opened.storage!;
      const workflow = getWorkflow("overage-remediation")!;
      const graph = workflow.build(storage.checkpointer);
      const polar = new PolarGateway({ accessToken: simulator.token, baseUrl: simulator.url });
      const input = workflow.input.parse(overageBenchInput);
      const inProcess = () =>
        advanceRun(workflow, graph, randomUUID(), { input }, { deps: { polar } }).then((result) => {
          if (result.status !== "completed")
            throw new Error(`in-process run ended ${result.status}`);
        });
      const server = await serve(storage, simulator, 32);
      const overHttp = () => startRun(server.url, "overage-remediation", overageBenchInput);
      await measure(5, 1, inProcess);
      await measure(5, 1, overHttp);
      // Interleaved halves, so drift on a shared machine hits both sides alike.
      // Each half starts from the seed data, so neither side searches more checkouts.
      const half = async (task: () => Promise<unknown>) => {
        await simulator.reset();
        return measure(runs / 2, 1, task);
      };
      const a1 = await half(inProcess);
      const b1 = await half(overHttp);
      const a2 = await half(inProcess);
      const b2 = await half(overHttp);
      const inProcessRate = (runs / (a1.wallMs + a2.wallMs)) * 1000;
      const httpRate = (runs / (b1.wallMs + b2.wallMs)) * 1000;
      rows.push(
        {
          section: "overhead",
          metric: `${label}: in-process runs/s`,
          value: round(inProcessRate, 1),
          unit: "runs/s",
          how: `${runs} sequential overage runs (meter path, approval off), advanceRun`,
        },
        {
          section: "overhead",
          metric: `${label}: HTTP API runs/s`,
          value: round(httpRate, 1),
          unit: "runs/s",
          how: `${runs} sequential POST …/runs (wait: true), same store and Polar`,
        },
        {
          section: "overhead",
          metric: `${label}: HTTP time ÷ in-process time`,
          value: round(inProcessRate / httpRate),
          unit: "×",
          how: "per-run wall time ratio (target ≤ 1.1)",
        },
      );

      // 2. Throughput and latency at several concurrencies.
      for (const concurrency of [1, 8, 32]) {
        await simulator.reset();
        const count = options.quick
          ? Math.max(concurrency * 2, 20)
          : Math.max(concurrency * 6, 150);
        const result = await measure(count, concurrency, () =>
          startRun(server.url, "overage-remediation", overageBenchInput),
        );
        rows.push({
          section: "throughput",
          metric: `${label}: concurrency ${concurrency}`,
          value: round(result.perSecond, 1),
          unit: `runs/s (p50 ${round(percentile(result.latencies, 50), 1)} ms, p99 ${round(percentile(result.latencies, 99), 1)} ms)`,
          how: `${count} completed overage runs over HTTP`,
        });
      }

      // 3. Checkpoint footprint per completed run of each workflow.
      for (const [name, benchInput] of [
        ["overage-remediation", overageBenchInput],
        ["subscription-offboarding", offboardingBenchInput],
      ] as const) {
        await simulator.reset();
        const run = await startRun(server.url, name, benchInput);
        const size = await opened.footprint!(run.run_id);
        rows.push({
          section: "checkpoints",
          metric: `${label}: ${name}`,
          value: size.bytes,
          unit: `bytes in ${size.rows} rows`,
          how: "rows and payload bytes of one completed run's thread (approval off)",
        });
      }

      // 4. Read path with 10,000 runs stored, next to /healthz.
      const stored = await fillRegistry(storage, 10_000);
      const probe = await startRun(server.url, "overage-remediation", overageBenchInput);
      const reads: [string, string][] = [
        ["GET /healthz", `${server.url}/healthz`],
        ["GET /v1/runs/{id}", `${server.url}/v1/runs/${probe.run_id}`],
        ["GET /v1/runs?status=completed", `${server.url}/v1/runs?status=completed&limit=50`],
        ["GET /v1/runs/{id}/checkpoints", `${server.url}/v1/runs/${probe.run_id}/checkpoints`],
      ];
      const count = options.quick ? 200 : 2_000;
      for (const [metric, url] of reads) {
        await measure(50, 1, () => get(url));
        const result = await measure(count, 1, () => get(url));
        rows.push({
          section: "read path",
          metric: `${label}: ${metric}`,
          value: round(result.perSecond, 0),
          unit: `req/s (p50 ${round(percentile(result.latencies, 50), 2)} ms, p99 ${round(percentile(result.latencies, 99), 2)} ms)`,
          how: `${count} sequential requests, ${stored.toLocaleString("en-US")} runs stored`,
        });
      }
      await server.close();
      await opened.close();
    }
  } finally {
    await simulator.close();
  }
  return rows;
}

/** Completed runs straight into the registry (no graph), so reads face a realistic table. */
async function fillRegistry(storage: Storage, count: number): Promise<number> {
  const batch = 200;
  for (let i = 0; i < count; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - i) }, async (_, j) => {
        const { run } = await storage.runs.create({
          tenant: "default",
          workflow: (i + j) % 2 ? "overage-remediation" : "subscription-offboarding",
          input: overageBenchInput,
          metadata: { bench: true },
          status: "running",
        });
        await storage.runs.transition(run.run_id, {
          from: ["running"],
          to: (i + j) % 5 ? "completed" : "interrupted",
          set: { output: { outcome: "checkout_created" } },
        });
      }),
    );
  }
  return count;
}
