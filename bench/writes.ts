/**
 * The write path (docs/writes.md): Polar requests per run for each workflow and usage path;
 * runs/s for a customer with 1,000 recent checkouts against the same customer with none (a
 * first execution searches nothing, so it must not degrade); checkpoint rows and bytes per
 * finished run before and after retention; the audit export's speed and memory at 1,000,000
 * entries (--quick: 20,000). On SQLite in a temporary directory, runs executed as the service
 * does: claimed under a lease, journaled, on the fenced checkpointer.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getWorkflow } from "../graphs/index.ts";
import { PolarGateway } from "../polar/gateway.ts";
import { CUSTOMERS, METER, PRODUCTS } from "../polar/simulator/seed.ts";
import { advanceRun } from "../runs/runner.ts";
import { RunWriteJournal } from "../runs/write-journal.ts";
import { createStorage, type Storage } from "../storage/index.ts";
import { peakRssGrowth, type Row, round, startSimulatorProcess } from "./support.ts";

const LEASE_MS = 120_000;
const overage = (usage: object, limit?: number) => ({
  customer: { external_id: CUSTOMERS.ada.externalId },
  current_product: { name: "Starter" },
  upgrade_product: { name: "Pro" },
  usage,
  ...(limit ? { limit } : {}),
  require_approval: false,
});

export async function benchWrites(options: { quick: boolean }): Promise<Row[]> {
  const simulator = await startSimulatorProcess();
  const dir = await mkdtemp(join(tmpdir(), "polar-flows-bench-writes-"));
  const storage = await createStorage({ dataDir: dir });
  const gateway = () => new PolarGateway({ accessToken: simulator.token, baseUrl: simulator.url });
  const rows: Row[] = [];
  const checkpointer = storage.fencedCheckpointer(LEASE_MS);
  const graphs = new Map<
    string,
    ReturnType<NonNullable<ReturnType<typeof getWorkflow>>["build"]>
  >();

  /** One run, start to end, as the executor runs it; answers its id and Polar requests. */
  async function execute(workflowName: string, input: unknown, polar = gateway()) {
    const workflow = getWorkflow(workflowName)!;
    let graph = graphs.get(workflowName);
    if (!graph) {
      graph = workflow.build(checkpointer);
      graphs.set(workflowName, graph);
    }
    const parsed = workflow.input.parse(input);
    const { run } = await storage.runs.create({
      tenant: "bench",
      workflow: workflowName,
      input: parsed,
      metadata: {},
    });
    const owner = `bench-${randomUUID()}`;
    const [claimed] = await storage.runs.claim(owner, 1, LEASE_MS);
    const lease = { run_id: run.run_id, owner, generation: claimed!.lease_generation };
    const before = polar.requestCount;
    const result = await advanceRun(
      workflow,
      graph,
      run.run_id,
      { input: parsed },
      {
        deps: { polar },
        lease,
        journal: new RunWriteJournal({
          log: storage.writes,
          lease,
          actor: async () => "bench",
          minLeftMs: 0,
        }),
      },
    );
    if (result.status !== "completed") throw new Error(`bench run ended ${result.status}`);
    await storage.runs.transition(run.run_id, { from: ["running"], to: "completed", lease });
    return { runId: run.run_id, requests: polar.requestCount - before };
  }

  try {
    for (const [label, workflowName, input] of [
      ["overage, meter path", "overage-remediation", overage({ meter_id: METER.id })],
      [
        "overage, events path (15,000 events: 150 pages)",
        "overage-remediation",
        overage({ event_name: METER.eventName, group_by: "endpoint" }, 10_000),
      ],
      [
        "offboarding",
        "subscription-offboarding",
        { customer: { external_id: CUSTOMERS.grace.externalId }, require_approval: false },
      ],
    ] as const) {
      await simulator.reset();
      const { requests } = await execute(workflowName, input);
      rows.push({
        section: "writes",
        metric: `Polar requests per run: ${label}`,
        value: requests,
        unit: "requests",
        how: "gateway request counter over one completed first execution, approval off, products named",
      });
    }

    // Runs/s for one customer, fresh and with 1,000 recent checkouts of its own.
    await simulator.reset();
    const runsPerPass = options.quick ? 20 : 100;
    const polar = gateway();
    const pass = async () => {
      const started = performance.now();
      for (let index = 0; index < runsPerPass; index++)
        await execute("overage-remediation", overage({ meter_id: METER.id }), polar);
      return (runsPerPass / (performance.now() - started)) * 1000;
    };
    const fresh = await pass();
    await simulator.reset();
    for (let index = 0; index < 1_000; index++) {
      await polar.createCheckout({
        key: `bench-${index}`,
        customerId: CUSTOMERS.ada.id,
        productId: PRODUCTS.pro.id,
      });
    }
    const busy = await pass();
    rows.push(
      {
        section: "writes",
        metric: "overage runs/s, customer with no earlier checkouts",
        value: round(fresh, 1),
        unit: "runs/s",
        how: `${runsPerPass} sequential meter-path runs over HTTP to the simulator (own process), SQLite`,
      },
      {
        section: "writes",
        metric: "overage runs/s, customer with 1,000 recent checkouts",
        value: round(busy, 1),
        unit: `runs/s (${round((busy / fresh) * 100, 0)}% of fresh)`,
        how: "the same, after 1,000 checkouts were made for that customer",
      },
    );

    // Checkpoints kept per finished run, before and after retention.
    const sample = await execute("overage-remediation", overage({ meter_id: METER.id }), polar);
    const before = await storage.retention.footprint(sample.runId);
    let pruned = 0;
    for (;;) {
      const batch = await storage.retention.prune({
        finishedBeforeMs: 0,
        limit: 50,
        owner: "bench",
        leaseMs: 60_000,
      });
      pruned += batch.runs;
      if (batch.runs < 50) break;
    }
    const after = await storage.retention.footprint(sample.runId);
    rows.push(
      {
        section: "writes",
        metric: "checkpoint bytes per finished overage run, before retention",
        value: before.bytes,
        unit: `bytes (${before.rows} rows)`,
        how: "SQLite: checkpoint, metadata and pending-write sizes of one meter-path run",
      },
      {
        section: "writes",
        metric: "checkpoint bytes per finished overage run, after retention",
        value: after.bytes,
        unit: `bytes (${after.rows} rows; ${pruned} runs pruned)`,
        how: "CHECKPOINT_RETENTION_DAYS=0: only the final checkpoint is kept",
      },
    );

    rows.push(...(await benchAuditExport(storage, options.quick ? 20_000 : 1_000_000)));
  } finally {
    await storage.close();
    await simulator.close();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

/** Fills the journal with `count` writes, then exports them all, page by page, as the route does. */
async function benchAuditExport(storage: Storage, count: number): Promise<Row[]> {
  const started = performance.now();
  const sqlite = (storage as unknown as { checkpointer: { db: import("better-sqlite3").Database } })
    .checkpointer.db;
  sqlite.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})
    INSERT INTO polar_writes (tenant, run_id, workflow, node, action, idempotency_key, attempt,
      customer_id, actor, request, status, polar_object_id, sent_at)
    SELECT 'audit-bench', 'run-' || i, 'overage-remediation', 'create_checkout',
      'checkout.create', 'run-' || i, 1, 'customer-' || (i % 100), 'ada', '{"product_id":"p"}',
      'succeeded', 'checkout-' || i,
      strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '+' || i || ' seconds') FROM n`);
  const filledS = (performance.now() - started) / 1000;
  const exportStarted = performance.now();
  const { result: exported, peakGrowthMiB } = await peakRssGrowth(async () => {
    let total = 0;
    let bytes = 0;
    let cursor: string | undefined;
    do {
      const page = await storage.audit.page({
        tenant: "audit-bench",
        limit: 1_000,
        ...(cursor ? { cursor } : {}),
      });
      for (const entry of page.entries) bytes += JSON.stringify(entry).length + 1;
      total += page.entries.length;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return { total, bytes };
  });
  const seconds = (performance.now() - exportStarted) / 1000;
  if (exported.total !== count) throw new Error(`exported ${exported.total} of ${count}`);
  return [
    {
      section: "writes",
      metric: `audit export, ${count.toLocaleString("en-US")} entries`,
      value: round(count / seconds, 0),
      unit: `entries/s (${round(seconds, 1)} s, ${round(exported.bytes / 2 ** 20, 0)} MiB of NDJSON; filled in ${round(filledS, 1)} s)`,
      how: "SQLite; pages of 1,000 by keyset, each entry serialized as the NDJSON route does",
    },
    {
      section: "writes",
      metric: `audit export, ${count.toLocaleString("en-US")} entries: peak RSS growth`,
      value: round(peakGrowthMiB, 1),
      unit: "MiB",
      how: "RSS sampled every 10 ms during the export: constant memory",
    },
  ];
}
