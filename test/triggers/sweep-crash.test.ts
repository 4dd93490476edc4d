import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CUSTOMERS, METER, PRODUCTS } from "../../polar/simulator/seed.ts";
import { createStorage } from "../../storage/index.ts";
import { processBackends } from "../helpers/backends.ts";
import { runChild } from "../helpers/child.ts";
import { startTestPolar, type TestSimulator } from "../helpers/polar.ts";

const childScript = join(import.meta.dirname, "sweep-crash-child.ts");

const backends = processBackends("sweep-crash");

describe.each(backends)("a sweep killed half-way (%s)", (_name, makeBackend) => {
  let simulator: TestSimulator;
  let env: Record<string, string>;
  let drop: () => Promise<void>;
  let expectedOver: string[];

  beforeAll(async () => {
    ({ simulator } = await startTestPolar());
    const over = simulator.addCrowd({ customers: 250, over: 5, key: "crash" });
    expectedOver = [CUSTOMERS.ada.id, CUSTOMERS.edsger.id, ...over.map((c) => c.id)].sort();
    const backend = await makeBackend();
    drop = backend.cleanup;
    env = { ...backend.env, POLAR_URL: simulator.url, POLAR_TOKEN: simulator.token };
  });
  afterAll(async () => {
    await simulator.close();
    await drop();
  });

  it("resumed in a fresh process, starts no remediation twice and misses none", async () => {
    const runId = randomUUID();
    const input = {
      tenant: "default",
      watch: {
        name: "crash-watch",
        meter_id: METER.id,
        upgrade_product_id: PRODUCTS.pro.id,
        current_product_id: PRODUCTS.starter.id,
        threshold_pct: 100,
        limit: null,
        require_approval: true,
      },
    };
    const first = runChild(
      childScript,
      ["start", runId, JSON.stringify(input)],
      {
        ...env,
        HALT_AFTER_CLAIMS: "3",
      },
      (line) => "claimed" in line,
    );
    expect(await first.line).toEqual({ claimed: 3 });
    const exited = new Promise((resolve) =>
      first.child.on("exit", (_c, signal) => resolve(signal)),
    );
    first.child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");

    const second = runChild(childScript, ["retry", runId], env, (line) => "result" in line);
    const { result } = await second.line;
    expect(result.status).toBe("completed");
    // Two were claimed and created before the kill; the third claimed only.
    expect(result.output).toMatchObject({ started: expectedOver.length - 2, already_started: 2 });

    const storage = await createStorage({
      databaseUrl: env.DATABASE_URL,
      dataDir: env.DATA_DIR ?? "unused",
      schema: env.PG_SCHEMA,
    });
    try {
      const { runs } = await storage.runs.list({
        tenant: "default",
        workflow: "overage-remediation",
        limit: 100,
      });
      const customers = runs.map((run) => (run.input as { customer: { id: string } }).customer.id);
      expect(customers.sort()).toEqual(expectedOver);
      const reported = result.output.over_threshold.map((c: any) => c.run_id).sort();
      expect(runs.map((run) => run.run_id).sort()).toEqual(reported);
    } finally {
      await storage.close();
    }
  });
});
