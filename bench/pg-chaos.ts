/**
 * PostgreSQL restarted under load: two replicas (`server/main.ts` processes) on a private
 * cluster, runs started through them while Polar (the simulator, in this process) answers
 * slowly, and the database restarted (`pg_ctl restart -m fast`) or every backend terminated at
 * random intervals. Reports what an operator would check afterwards: did every run complete by
 * itself, with at most one checkout each; did a replica exit; did `/readyz` go 503 and back; are
 * the event logs whole, and did live event streams see all of it; how long each recovery took;
 * and whether the replicas' logs stayed short. The chaos test asserts on the report and the
 * benchmark prints it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";
import { METER, startSimulator } from "../polar/simulator/index.ts";
import { readStream, type StreamEvent, sleep, untilAnswered } from "./pg-chaos-client.ts";
import { postgresBinaries, startPrivateCluster } from "./pg-cluster.ts";
import { type Row, round } from "./support.ts";

export interface ChaosOptions {
  runs: number;
  /** Database restarts and backend terminations, alternating. */
  cuts: number;
  /** Random pause before each cut. */
  gapMs: [number, number];
  polarLatencyMs: number;
  /** Everything must have settled by then. */
  deadlineMs: number;
}

export interface Cut {
  kind: "restart" | "terminate";
  /** From the cut until both replicas answer `/readyz` 200. */
  readyMs: number;
  /** From the cut until a run's checkpoint was stored again. */
  progressMs: number | null;
}

export interface ChaosReport {
  runs: number;
  completed: number;
  /** Runs that did not complete, with their status. */
  unfinished: string[];
  /** Runs with more than one checkout, and completed runs with none. */
  wrongCheckouts: string[];
  cuts: Cut[];
  /** `/readyz` answers seen: 503s during cuts, and whether both replicas end ready. */
  readyz503: number;
  readyAtEnd: boolean;
  /** Replicas that exited during the trial (with their last output). */
  exits: string[];
  /** Events the checkpoints say happened but the event log lacks (must be 0). */
  lostEvents: number;
  /** Runs whose live event stream (reconnecting with Last-Event-ID) differs from the log. */
  streamGaps: string[];
  /** API answers other than success and 503 with Retry-After, e.g. a 500. */
  unexpectedAnswers: string[];
  /** `/v1` requests answered 503 (with Retry-After) during the cuts. */
  answered503: number;
  /** Replica log lines about lost connections, and lines that are not short and plain. */
  lossLines: number;
  badLogLines: string[];
}

const INPUT = {
  customer: { external_id: "external_usr_881" },
  current_product: { name: "Starter" },
  upgrade_product: { name: "Pro" },
  usage: { meter_id: METER.id },
  require_approval: false,
};

interface Replica {
  url: string;
  child: ChildProcess;
  output: string[];
  exited: boolean;
}

async function startReplica(env: Record<string, string>): Promise<Replica> {
  const child = spawn(process.execPath, [join(import.meta.dirname, "../server/main.ts")], {
    env: { ...process.env, HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const replica: Replica = { url: "", child, output: [], exited: false };
  // Nor may a replica outlive a trial that failed hard.
  const killAtExit = () => child.kill("SIGKILL");
  process.once("exit", killAtExit);
  child.once("exit", () => {
    replica.exited = true;
    process.off("exit", killAtExit);
  });
  createInterface({ input: child.stderr! }).on("line", (line) => replica.output.push(line));
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      replica.output.push(line);
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) replica.url = match[1]!;
      if (line.includes("Storage:")) resolve();
    });
    child.once("exit", () => reject(new Error(`main.ts exited: ${replica.output.join("\n")}`)));
  });
  return replica;
}

export async function runChaosTrial(options: ChaosOptions): Promise<ChaosReport> {
  const cluster = await startPrivateCluster();
  const simulator = await startSimulator({ latencyMs: options.polarLatencyMs });
  const replicas: Replica[] = [];
  const admin = new pg.Client({ connectionString: cluster.url });
  admin.on("error", () => {});
  try {
    const env = {
      DATABASE_URL: cluster.url,
      DATABASE_SCHEMA: "chaos",
      POLAR_BASE_URL: simulator.url,
      POLAR_ACCESS_TOKEN: simulator.token,
      POLAR_RATE_LIMIT: "1000000",
      API_RATE_LIMIT: "1000000",
      RUN_CONCURRENCY: "8",
      RUN_LEASE_SECONDS: "3",
      RUN_LEASE_RENEW_SECONDS: "1",
      RUN_POLL_SECONDS: "0.5",
      SHUTDOWN_GRACE_SECONDS: "2",
    };
    // One migrates first; the second finds the schema made.
    replicas.push(await startReplica(env));
    replicas.push(await startReplica(env));
    return await trial(options, cluster, simulator, replicas, admin);
  } finally {
    for (const replica of replicas) replica.child.kill("SIGTERM");
    await Promise.all(
      replicas.map((replica) =>
        replica.exited ? null : new Promise((resolve) => replica.child.once("exit", resolve)),
      ),
    );
    await admin.end().catch(() => {});
    await simulator.close();
    await cluster.stop();
  }
}

async function trial(
  options: ChaosOptions,
  cluster: Awaited<ReturnType<typeof startPrivateCluster>>,
  simulator: Awaited<ReturnType<typeof startSimulator>>,
  replicas: Replica[],
  admin: pg.Client,
): Promise<ChaosReport> {
  const unexpectedAnswers: string[] = [];
  const counts = { answered503: 0, readyz503: 0 };
  const pick = () => replicas[Math.floor(Math.random() * replicas.length)]!;
  const api = { pick, unexpected: unexpectedAnswers, counts };
  const deadline = Date.now() + options.deadlineMs;

  // Readiness, watched all along on both replicas.
  let watching = true;
  const readyWatch = (async () => {
    while (watching) {
      for (const replica of replicas) {
        const response = await fetch(`${replica.url}/readyz`, {
          signal: AbortSignal.timeout(10_000),
        }).catch(() => null);
        if (response?.status === 503) counts.readyz503 += 1;
        await response?.body?.cancel();
      }
      await sleep(50);
    }
  })();

  // Clients: runs started at an even pace across the cuts, each followed by its live stream.
  const window = options.cuts * (options.gapMs[0] + options.gapMs[1]) * 0.5;
  const spacing = window / options.runs;
  const live = new Map<string, StreamEvent[]>();
  const clients = Array.from({ length: options.runs }, async (_, index) => {
    await sleep(index * spacing);
    const created = await untilAnswered<{ run_id: string }>(
      api,
      "POST",
      "/v1/workflows/overage-remediation/runs",
      { body: { input: INPUT, wait: false }, key: randomUUID(), deadline },
    ).catch((error: Error) => {
      unexpectedAnswers.push(`run ${index} not started: ${error.message}`);
      return null;
    });
    if (created === null) return null;
    live.set(created.run_id, await readStream(api, created.run_id, deadline));
    return created.run_id;
  });

  // The cuts.
  const cuts: (Cut & { upAt: number; at: number })[] = [];
  await sleep(Math.min(1_000, window / 4));
  for (let i = 0; i < options.cuts; i++) {
    const [low, high] = options.gapMs;
    await sleep(low + Math.random() * (high - low));
    const kind = i % 2 === 0 ? "restart" : "terminate";
    const at = Date.now();
    if (kind === "restart") await cluster.restart();
    else await cluster.terminateAll();
    const upAt = Date.now();
    let readyMs = Number.NaN;
    while (Date.now() < deadline) {
      const answers = await Promise.all(
        replicas.map((replica) =>
          fetch(`${replica.url}/readyz`, { signal: AbortSignal.timeout(10_000) }).then(
            (response) => response.status,
            () => 0,
          ),
        ),
      );
      if (answers.every((status) => status === 200)) {
        readyMs = Date.now() - at;
        break;
      }
      await sleep(20);
    }
    cuts.push({ kind, at, upAt, readyMs, progressMs: null });
  }

  const runIds = (await Promise.all(clients)).filter((runId) => runId !== null);
  watching = false;
  await readyWatch;

  await admin.connect();
  for (const cut of cuts) {
    const { rows } = await admin.query<{ first: Date | null }>(
      `SELECT min(created_at) AS first FROM chaos.run_steps
       WHERE kind = 'checkpoint' AND created_at > $1`,
      [new Date(cut.upAt)],
    );
    cut.progressMs = rows[0]?.first ? rows[0].first.getTime() - cut.at : null;
  }

  // Checked with time of its own: a trial that ran out of time still reports what it saw.
  const report = await check(api, runIds, live, simulator, Date.now() + 30_000);
  const lines = replicas.flatMap((replica) => replica.output);
  return {
    ...report,
    runs: options.runs,
    cuts: cuts.map(({ kind, readyMs, progressMs }) => ({ kind, readyMs, progressMs })),
    readyz503: counts.readyz503,
    readyAtEnd: (
      await Promise.all(
        replicas.map((r) =>
          fetch(`${r.url}/readyz`, { signal: AbortSignal.timeout(10_000) }).then(
            (x) => x.status,
            () => 0,
          ),
        ),
      )
    ).every((status) => status === 200),
    exits: replicas
      .filter((replica) => replica.exited)
      .map((replica) => replica.output.slice(-20).join("\n")),
    unexpectedAnswers,
    answered503: counts.answered503,
    lossLines: lines.filter((line) => line.includes("lost a PostgreSQL connection")).length,
    badLogLines: lines.filter(
      (line) => line.length > 2_000 || /connectionParameters|_connecting|"client":/.test(line),
    ),
  };
}

/** Every run: completed, one checkout, its event log whole and the same as its live stream. */
async function check(
  api: Parameters<typeof untilAnswered>[0],
  runIds: string[],
  live: Map<string, StreamEvent[]>,
  simulator: Awaited<ReturnType<typeof startSimulator>>,
  deadline: number,
) {
  const requests = simulator.requests();
  const unfinished: string[] = [];
  const wrongCheckouts: string[] = [];
  const streamGaps: string[] = [];
  let lostEvents = 0;
  let completed = 0;
  for (const runId of runIds) {
    const run = await untilAnswered<{ status: string; error: unknown }>(
      api,
      "GET",
      `/v1/runs/${runId}`,
      { deadline },
    );
    if (run.status === "completed") completed += 1;
    else unfinished.push(`${runId}: ${run.status} ${JSON.stringify(run.error ?? null)}`);
    const checkouts = requests.filter(
      (request) =>
        request.method === "POST" &&
        /^\/v1\/checkouts\/?$/.test(request.path) &&
        request.status < 300 &&
        (request.body as { metadata?: Record<string, unknown> } | null)?.metadata
          ?.polar_flows_key === runId,
    ).length;
    if (checkouts > 1 || (run.status === "completed" && checkouts !== 1)) {
      wrongCheckouts.push(`${runId}: ${checkouts} checkouts`);
    }

    const logged = await readStream(api, runId, deadline);
    const statuses = logged.filter((e) => e.event === "status").map((e) => e.data.status);
    for (const status of ["queued", "running", run.status]) {
      if (!statuses.includes(status)) lostEvents += 1;
    }
    const nodes = new Set(logged.filter((e) => e.event === "node").map((e) => e.data.node));
    const history = await untilAnswered<{ checkpoints: { ran: string[] }[] }>(
      api,
      "GET",
      `/v1/runs/${runId}/checkpoints?limit=100`,
      {
        deadline,
      },
    );
    for (const checkpoint of history.checkpoints) {
      for (const node of checkpoint.ran) {
        if (!node.startsWith("__") && !nodes.has(node)) lostEvents += 1;
      }
    }
    const seen = (live.get(runId) ?? []).map((event) => event.id).join(",");
    if (seen !== logged.map((event) => event.id).join(",")) streamGaps.push(runId);
  }
  return { completed, unfinished, wrongCheckouts, lostEvents, streamGaps };
}

/**
 * `npm run bench`: a longer trial (200 runs, 6 cuts); `--quick`: a tiny one (8 runs, 1 cut).
 * Fails on a wrong outcome — a run not completed, a second checkout, a replica exit, a lost
 * event — never on speed.
 */
export async function benchPgRestarts({ quick }: { quick: boolean }): Promise<Row[]> {
  if (!postgresBinaries()) {
    process.stderr.write(" (no PostgreSQL binaries: skipped)");
    return [];
  }
  const options: ChaosOptions = quick
    ? { runs: 8, cuts: 1, gapMs: [500, 1_000], polarLatencyMs: 100, deadlineMs: 90_000 }
    : { runs: 200, cuts: 6, gapMs: [1_000, 5_000], polarLatencyMs: 100, deadlineMs: 300_000 };
  const report = await runChaosTrial(options);
  const wrong = [
    ...report.exits.map((exit) => `a replica exited: ${exit}`),
    ...report.unfinished,
    ...report.wrongCheckouts,
    ...report.unexpectedAnswers,
    ...(report.lostEvents > 0 ? [`${report.lostEvents} events lost`] : []),
    ...report.streamGaps.map((runId) => `live stream of ${runId} differs from its log`),
  ];
  if (wrong.length > 0) throw new Error(`pg restarts: ${wrong.join("; ")}`);
  const how = `2 replicas, ${report.runs} overage runs, Polar latency ${options.polarLatencyMs} ms, ${report.cuts.length} cuts (restart -m fast / terminate all backends, alternating) at random ${options.gapMs[0] / 1000}–${options.gapMs[1] / 1000} s intervals`;
  const seconds = (ms: number | null) => (ms === null ? Number.NaN : round(ms / 1000, 2));
  return [
    {
      section: "pg-restarts",
      metric: "runs completed by themselves",
      value: report.completed,
      unit: `of ${report.runs}`,
      how: `${how}; one checkout each, no replica exited`,
    },
    ...report.cuts.map((cut, index) => ({
      section: "pg-restarts",
      metric: `cut ${index + 1} (${cut.kind}) → both replicas ready`,
      value: seconds(cut.readyMs),
      unit: `s (next checkpoint stored after ${seconds(cut.progressMs)} s)`,
      how: "from the cut until /readyz answers 200 on both replicas",
    })),
    {
      section: "pg-restarts",
      metric: "lost events",
      value: report.lostEvents,
      unit: "events",
      how: "statuses and checkpointed nodes missing from the runs' event logs (must be 0)",
    },
  ];
}
