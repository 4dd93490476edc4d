/** Shared pieces of the benchmarks: timing, percentiles, a simulator in its own process. */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";

export interface Row {
  section: string;
  metric: string;
  value: number;
  unit: string;
  /** How it was measured. */
  how: string;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Runs `task` `count` times, `concurrency` at a time; answers per-call latencies (ms) and the wall time. */
export async function measure(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<unknown>,
): Promise<{ latencies: number[]; wallMs: number; perSecond: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const t0 = performance.now();
      await task(index);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const wallMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return { latencies, wallMs, perSecond: (count / wallMs) * 1000 };
}

/** Samples RSS while `task` runs; answers the peak growth over the RSS before it, in MiB. */
export async function peakRssGrowth<T>(
  task: () => Promise<T>,
): Promise<{ result: T; peakGrowthMiB: number }> {
  globalThis.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  try {
    const result = await task();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, peakGrowthMiB: (peak - baseline) / 1024 / 1024 };
  } finally {
    clearInterval(timer);
  }
}

const projectRoot = join(import.meta.dirname, "..");

/** The Polar simulator in a child process, so its memory and CPU are not counted as ours. */
export async function startSimulatorProcess(token = "bench_simulator_token"): Promise<{
  url: string;
  token: string;
  child: ChildProcess;
  reset(): Promise<void>;
  close(): Promise<void>;
}> {
  const child = spawn(process.execPath, [join(projectRoot, "polar/simulator/main.ts")], {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", SIMULATOR_TOKEN: token },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`simulator exited with ${code}`)));
  });
  return {
    url,
    token,
    child,
    // Back to the seed data, so each measured pass starts from the same Polar state.
    reset: async () => {
      const response = await fetch(`${url}/__simulator/reset`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
      });
      if (!response.ok) throw new Error(`simulator reset answered ${response.status}`);
    },
    close: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
