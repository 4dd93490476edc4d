/**
 * A replica stops its runs by its own clock when its lease renewals hang — not only when they
 * fail — before the lease can lapse, and reports to the write journal how much lease is left.
 * The store is SQLite for real; only its renewals are made to hang, as a blackholed network does.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { LEASE_LOST } from "../../runs/errors.ts";
import { Executor } from "../../runs/executor.ts";
import { createStorage, type Storage } from "../../storage/index.ts";

const silent = { debug() {}, info() {}, warn() {}, error() {} };

let storage: Storage;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "polar-flows-executor-"));
  storage = await createStorage({ dataDir: dir });
});
afterAll(async () => {
  await storage.close();
  await rm(dir, { recursive: true, force: true });
});

it("stops a run when renewals hang, with a renewal interval of the lease still left", async () => {
  const leaseMs = 600;
  const renewMs = 150;
  await storage.runs.create({ tenant: "default", workflow: "w", input: {}, metadata: {} });
  const hanging = new Proxy(storage.runs, {
    get(registry, property) {
      if (property === "renew") return () => new Promise<string[]>(() => {});
      const value = Reflect.get(registry, property);
      return typeof value === "function" ? value.bind(registry) : value;
    },
  });
  let stopped: { reason: unknown; afterMs: number; leftMs: number } | null = null;
  const executor = new Executor({
    runs: hanging,
    concurrency: 1,
    leaseMs,
    renewMs,
    pollMs: 60_000,
    log: silent,
    execute: (_record, _lease, signal, leaseLeftMs) =>
      new Promise((resolve) => {
        const started = performance.now();
        signal.addEventListener("abort", () => {
          stopped = {
            reason: signal.reason,
            afterMs: performance.now() - started,
            leftMs: leaseLeftMs(),
          };
          resolve("done");
        });
      }),
  });
  executor.start();
  await expect.poll(() => stopped, { timeout: 5_000, interval: 20 }).not.toBeNull();
  await executor.drain(100);
  const { reason, afterMs, leftMs } = stopped!;
  expect(reason).toBe(LEASE_LOST);
  // Stopped once no more than a renewal interval was left, and before the lease could lapse.
  expect(leftMs).toBeLessThanOrEqual(renewMs);
  expect(leftMs).toBeGreaterThan(0);
  expect(afterMs).toBeLessThan(leaseMs);
});
