/**
 * The audit trail's NDJSON export over HTTP at size: N Polar-write entries (1,000,000; 20,000
 * with --quick) inserted straight into SQLite, then `GET /v1/audit` with
 * `Accept: application/x-ndjson` streamed and counted line by line. Entries/s, and the peak RSS
 * growth of this process, which serves the request (the export reads by keyset, so it should
 * not grow with N).
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { PolarGateway } from "../polar/gateway.ts";
import { buildApp } from "../server/app.ts";
import { loadConfig } from "../server/config.ts";
import { createStorage, SQLITE_FILE } from "../storage/index.ts";
import { peakRssGrowth, type Row, round } from "./support.ts";

/** One transaction per batch keeps the insert fast without one huge transaction. */
function insertWrites(file: string, count: number): void {
  const db = new Database(file);
  const insert = db.prepare(
    `INSERT INTO polar_writes (tenant, run_id, workflow, node, action, idempotency_key, attempt,
       customer_id, actor, request, status, polar_object_id, result, sent_at, answered_at)
     VALUES ('default', ?, 'overage-remediation', 'create_checkout', 'checkout.create', ?, 1,
       'cus_bench', 'ada', '{"product_id":"prod_bench"}', 'succeeded', ?, '{}', ?, ?)`,
  );
  const start = Date.parse("2026-01-01T00:00:00Z");
  const batch = db.transaction((from: number, to: number) => {
    for (let index = from; index < to; index++) {
      const at = new Date(start + index).toISOString();
      insert.run(`run-${index % 50_000}`, `key-${index}`, `co_${index}`, at, at);
    }
  });
  for (let from = 0; from < count; from += 50_000) batch(from, Math.min(count, from + 50_000));
  db.close();
}

export async function benchAudit({ quick }: { quick: boolean }): Promise<Row[]> {
  const count = quick ? 20_000 : 1_000_000;
  const dir = await mkdtemp(join(tmpdir(), "polar-flows-bench-audit-"));
  const storage = await createStorage({ dataDir: dir });
  const insertStarted = performance.now();
  insertWrites(join(dir, SQLITE_FILE), count);
  const insertMs = performance.now() - insertStarted;
  const config = loadConfig({ LOG_LEVEL: "silent" });
  // Never called: the export reads only the store.
  const polar = new PolarGateway({
    accessToken: `unused_${randomUUID()}`,
    baseUrl: "http://127.0.0.1:9",
  });
  const app = await buildApp({ config, storage, polar, model: null });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  try {
    const { result, peakGrowthMiB } = await peakRssGrowth(async () => {
      const started = performance.now();
      const response = await fetch(`${url}/v1/audit`, {
        headers: { accept: "application/x-ndjson" },
      });
      if (response.status !== 200) throw new Error(`audit export answered ${response.status}`);
      let lines = 0;
      const decoder = new TextDecoder();
      for await (const chunk of response.body!) {
        const text = decoder.decode(chunk as Uint8Array, { stream: true });
        for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) lines++;
      }
      return { lines, ms: performance.now() - started };
    });
    if (result.lines !== count) throw new Error(`export streamed ${result.lines} of ${count}`);
    const how = `${count.toLocaleString("en")} Polar-write entries in SQLite, one GET /v1/audit (Accept: application/x-ndjson) over HTTP`;
    return [
      {
        section: "audit",
        metric: "export throughput",
        value: round((count / result.ms) * 1000, 0),
        unit: "entries/s",
        how,
      },
      {
        section: "audit",
        metric: "export time",
        value: round(result.ms / 1000, 2),
        unit: "s",
        how,
      },
      {
        section: "audit",
        metric: "export peak RSS growth",
        value: round(peakGrowthMiB, 1),
        unit: "MiB",
        how: `${how}; RSS of the serving process sampled every 10 ms`,
      },
      {
        section: "audit",
        metric: "insert (setup)",
        value: round((count / insertMs) * 1000, 0),
        unit: "rows/s",
        how: "better-sqlite3, 50,000 rows a transaction",
      },
    ];
  } finally {
    await app.close();
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  }
}
