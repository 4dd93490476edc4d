/**
 * Usage sweeps: a watch over a meter with 1,000 and 10,000 simulated customers (1 % over their
 * credits): customers checked per Polar request, wall time, and peak RSS growth of the sweeping
 * process. The sweep runs as in the service — checkpointed in SQLite, remediations created
 * through the ledger (not executed: the sweep is what is measured).
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { getWorkflow } from "../graphs/index.ts";
import { USAGE_SWEEP_WORKFLOW } from "../graphs/usage-sweep/state.ts";
import { PolarGateway } from "../polar/gateway.ts";
import { METER, PRODUCTS } from "../polar/simulator/seed.ts";
import { advanceRun } from "../runs/runner.ts";
import { RunService } from "../runs/service.ts";
import { createStorage } from "../storage/index.ts";
import { runServiceWithRemediations } from "../triggers/remediations.ts";
import { peakRssGrowth, type Row, round, startSimulatorProcess } from "./support.ts";

export async function benchSweep(options: { quick: boolean }): Promise<Row[]> {
  const simulator = await startSimulatorProcess();
  const dataDir = await mkdtemp(join(tmpdir(), "polar-flows-bench-sweep-"));
  const storage = await createStorage({ dataDir });
  const { service, ledger } = runServiceWithRemediations(
    storage,
    (remediations) =>
      new RunService({
        storage,
        deps: { polar: gatewayOf(simulator), remediations },
        logger: pino({ level: "silent" }),
        waitMs: 1_000,
        concurrency: 0,
      }),
  );
  const rows: Row[] = [];
  try {
    const workflow = getWorkflow(USAGE_SWEEP_WORKFLOW)!;
    const graph = workflow.build(storage.checkpointer);
    for (const customers of options.quick ? [1_000] : [1_000, 10_000]) {
      await simulator.reset();
      const over = customers / 100;
      const crowd = await fetch(`${simulator.url}/__simulator/crowd`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${simulator.token}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ customers, over, key: `bench-${customers}` }),
      });
      if (!crowd.ok) throw new Error(`crowd answered ${crowd.status}`);
      const polar = gatewayOf(simulator);
      const input = workflow.input.parse({
        tenant: "bench",
        watch: {
          name: `bench-${customers}`,
          meter_id: METER.id,
          upgrade_product_id: PRODUCTS.pro.id,
          current_product_id: PRODUCTS.starter.id,
          threshold_pct: 100,
          limit: null,
          require_approval: true,
        },
      });
      const started = performance.now();
      const { result, peakGrowthMiB } = await peakRssGrowth(() =>
        advanceRun(
          workflow,
          graph,
          randomUUID(),
          { input },
          { deps: { polar, remediations: ledger } },
        ),
      );
      const wallMs = performance.now() - started;
      if (result.status !== "completed")
        throw new Error(`bench sweep ended ${JSON.stringify(result)}`);
      const output = result.output as { checked: number; started: number; polar_requests: number };
      const label = `${customers.toLocaleString("en-US")} customers, ${output.started} over`;
      rows.push(
        {
          section: "sweep",
          metric: `customers checked per Polar request, ${label}`,
          value: round(output.checked / polar.requestCount, 1),
          unit: `customers/request (${polar.requestCount} requests; bound ${Math.ceil(output.checked / 100) * 2 + 2})`,
          how: "checked ÷ the gateway's request counter over one sweep",
        },
        {
          section: "sweep",
          metric: `wall time, ${label}`,
          value: round(wallMs / 1000, 2),
          unit: "s",
          how: "one usage-sweep run, SQLite checkpoints, simulator in its own process",
        },
        {
          section: "sweep",
          metric: `peak RSS growth, ${label}`,
          value: round(peakGrowthMiB, 1),
          unit: "MiB",
          how: "sampled every 10 ms over the sweep, over the RSS before it",
        },
      );
    }
  } finally {
    await service.close(1_000);
    await storage.close();
    await rm(dataDir, { recursive: true, force: true });
    await simulator.close();
  }
  return rows;
}

function gatewayOf(simulator: { url: string; token: string }): PolarGateway {
  return new PolarGateway({ accessToken: simulator.token, baseUrl: simulator.url });
}
