/**
 * LangGraph's own server side by side with polar-flows, in one run, on the same graph and the
 * same simulator, driven by the same `@langchain/langgraph-sdk` client: the overage graph served
 * by `@langchain/langgraph-api` (in memory, its own child process) and by polar-flows (SQLite,
 * durable) through `/langgraph` and through `/v1`. Sequential and 8-concurrent runs per second,
 * interrupt + resume round trips per second, and the ratios polar-flows ÷ LangGraph server.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Client } from "@langchain/langgraph-sdk";
import { OverageInput } from "../graphs/overage-remediation/state.ts";
import { PolarGateway } from "../polar/gateway.ts";
import { buildApp } from "../server/app.ts";
import { loadConfig } from "../server/config.ts";
import { createStorage } from "../storage/index.ts";
import { overageBenchInput } from "./durability.ts";
import { measure, type Row, round, startSimulatorProcess } from "./support.ts";

const GRAPH = "overage-remediation";
const CONCURRENCY = 8;
/**
 * The workflow's input with its defaults filled in: LangGraph's server hands the graph its input
 * unchecked, polar-flows checks it against the workflow's schema first.
 */
const benchInput = (requireApproval: boolean) =>
  OverageInput.parse({ ...overageBenchInput, require_approval: requireApproval });

/** How long the LangGraph server gets to start (it compiles the graph's module first). */
const START_TIMEOUT_MS = 60_000;

type Simulator = Awaited<ReturnType<typeof startSimulatorProcess>>;

/** One way of running the overage graph to its end, or to its interrupt and on through it. */
interface Side {
  name: string;
  run: () => Promise<void>;
  interruptAndResume: () => Promise<void>;
}

function expectOutcome(values: unknown, where: string) {
  const outcome = (values as { outcome?: unknown } | null)?.outcome;
  if (outcome !== "checkout_created") {
    throw new Error(`${where}: ${JSON.stringify(values).slice(0, 300)}`);
  }
}

/** The SDK client's way, the same against both servers. */
function sdkSide(name: string, apiUrl: string): Side {
  const client = new Client({ apiUrl, apiKey: null, callerOptions: { maxRetries: 0 } });
  const start = async (requireApproval: boolean) => {
    const thread = await client.threads.create();
    const input = { input: benchInput(requireApproval) };
    const values = await client.runs.wait(thread.thread_id, GRAPH, { input });
    return { threadId: thread.thread_id, values };
  };
  return {
    name,
    run: async () => expectOutcome((await start(false)).values, name),
    interruptAndResume: async () => {
      const { threadId, values } = await start(true);
      if (!(values as { __interrupt__?: unknown }).__interrupt__) {
        throw new Error(`${name}: no interrupt: ${JSON.stringify(values).slice(0, 300)}`);
      }
      const done = await client.runs.wait(threadId, GRAPH, {
        command: { resume: { approved: true } },
      });
      expectOutcome(done, name);
    },
  };
}

async function postJson(url: string, body: unknown) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** polar-flows' own API: start with `wait: true`, resume with `wait: true`. */
function v1Side(url: string): Side {
  const start = (requireApproval: boolean) =>
    postJson(`${url}/v1/workflows/${GRAPH}/runs`, {
      input: benchInput(requireApproval),
    });
  return {
    name: "polar-flows /v1",
    run: async () => expectOutcome((await start(false)).output, "/v1"),
    interruptAndResume: async () => {
      const run = await start(true);
      if (run.status !== "interrupted") throw new Error(`/v1: run is ${run.status}`);
      const done = await postJson(`${url}/v1/runs/${run.run_id}/resume`, {
        resume: { approved: true },
      });
      expectOutcome(done.output, "/v1");
    },
  };
}

async function startLangGraphServer(simulator: Simulator) {
  const cwd = await mkdtemp(join(tmpdir(), "polar-flows-langgraph-"));
  const child: ChildProcess = spawn(
    process.execPath,
    [join(import.meta.dirname, "langgraph-server.ts")],
    {
      cwd,
      env: {
        ...process.env,
        BENCH_POLAR_URL: simulator.url,
        BENCH_POLAR_TOKEN: simulator.token,
        BENCH_LANGGRAPH_WORKERS: String(CONCURRENCY),
        LOG_LEVEL: "error",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stderr!.resume();
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("LangGraph server did not start")),
      START_TIMEOUT_MS,
    );
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once("exit", (code) => reject(new Error(`LangGraph server exited with ${code}`)));
  });
  return {
    url,
    close: async () => {
      if (child.exitCode === null) {
        await new Promise<void>((resolve) => {
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
        });
      }
      await rm(cwd, { recursive: true, force: true });
    },
  };
}

async function startPolarFlows(simulator: Simulator) {
  const dataDir = await mkdtemp(join(tmpdir(), "polar-flows-bench-langgraph-"));
  const storage = await createStorage({ dataDir });
  // One caller measuring the service: its own request budget is lifted.
  const config = {
    ...loadConfig({ LOG_LEVEL: "silent", API_RATE_LIMIT: "100000000" }),
    runs: { waitSeconds: 60, concurrency: CONCURRENCY },
  };
  const polar = new PolarGateway({ accessToken: simulator.token, baseUrl: simulator.url });
  const app = await buildApp({ config, storage, polar, model: null });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return {
    url,
    close: async () => {
      await app.close();
      await storage.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

interface Workload {
  metric: string;
  unit: string;
  concurrency: number;
  /** Round trips: LangGraph's server (slow), polar-flows. */
  counts: { langgraph: number; polarFlows: number };
  task: (side: Side) => () => Promise<void>;
}

export async function benchLangGraph(options: { quick: boolean }): Promise<Row[]> {
  // --quick: a smoke test of the whole comparison (a few runs each), not a measurement.
  const scale = options.quick ? 0.1 : 1;
  const size = (langgraph: number, polarFlows: number) => ({
    langgraph: Math.max(2, Math.round(langgraph * scale)),
    polarFlows: Math.max(5, Math.round(polarFlows * scale)),
  });
  const workloads: Workload[] = [
    {
      metric: "sequential runs/s",
      unit: "runs/s",
      concurrency: 1,
      counts: size(20, 100),
      task: (side) => side.run,
    },
    {
      metric: `runs/s at ${CONCURRENCY} concurrent`,
      unit: "runs/s",
      concurrency: CONCURRENCY,
      counts: size(48, 200),
      task: (side) => side.run,
    },
    {
      metric: "interrupt + resume round trips/s",
      unit: "round trips/s",
      concurrency: 1,
      counts: size(10, 50),
      task: (side) => side.interruptAndResume,
    },
  ];
  const simulator = await startSimulatorProcess();
  try {
    const rate = async (side: Side, workload: Workload, count: number) => {
      await simulator.reset();
      return (await measure(count, workload.concurrency, workload.task(side))).perSecond;
    };
    // One server at a time, each measured alone: nothing of the other (its queue, its memory)
    // is in the way on a small machine.
    const base = new Map<Workload, number>();
    const langgraph = await startLangGraphServer(simulator);
    try {
      const reference = sdkSide("LangGraph server", langgraph.url);
      await measure(3, 1, reference.run);
      for (const workload of workloads) {
        base.set(workload, await rate(reference, workload, workload.counts.langgraph));
      }
    } finally {
      await langgraph.close();
    }
    const rows: Row[] = workloads.map((workload) => ({
      section: "langgraph",
      metric: `LangGraph server: ${workload.metric}`,
      value: round(base.get(workload)!, 2),
      unit: workload.unit,
      how: `${workload.counts.langgraph} overage runs via the SDK client; @langchain/langgraph-api in memory, ${CONCURRENCY} workers`,
    }));
    const polarFlows = await startPolarFlows(simulator);
    try {
      const ours = [
        sdkSide("polar-flows /langgraph", `${polarFlows.url}/langgraph`),
        v1Side(polarFlows.url),
      ];
      for (const side of ours) await measure(3, 1, side.run);
      for (const workload of workloads) {
        for (const side of ours) {
          const ourRate = await rate(side, workload, workload.counts.polarFlows);
          rows.push(
            {
              section: "langgraph",
              metric: `${side.name}: ${workload.metric}`,
              value: round(ourRate, 2),
              unit: workload.unit,
              how: `${workload.counts.polarFlows} overage runs, SQLite (durable), run concurrency ${CONCURRENCY}`,
            },
            {
              section: "langgraph",
              metric: `${side.name} ÷ LangGraph server: ${workload.metric}`,
              value: round(ourRate / base.get(workload)!, 1),
              unit: "×",
              how: "same graph, simulator and machine, in this run",
            },
          );
        }
      }
    } finally {
      await polarFlows.close();
    }
    return rows;
  } finally {
    await simulator.close();
  }
}
