import { randomUUID } from "node:crypto";
import { placeholders, type SqlClient, type SqlDialect } from "./sql.ts";
import {
  InvalidCursorError,
  type Lease,
  LeaseLostError,
  type ListRunsQuery,
  type NewRun,
  type PendingResume,
  type RunError,
  type RunPage,
  type RunPatch,
  type RunRecord,
  type RunRegistry,
  type RunStatus,
  type RunStep,
  type RunTransition,
} from "./types.ts";

const COLUMNS =
  "run_id, tenant, workflow, status, input, metadata, interrupt, output, error, checkpoint_id, " +
  "idempotency_key, request_hash, pending_resume, lease_owner, lease_generation, " +
  "lease_expires_at, started_by, created_at, updated_at";

const JSON_PATCH_FIELDS = ["interrupt", "output", "error", "metadata", "pending_resume"] as const;

/** How a run's input names its customer (every workflow takes one of these). */
const CUSTOMER_FIELDS = ["id", "external_id"] as const;

/** A run any replica may claim: waiting to start, or running with no live lease. */
const CLAIMABLE = (d: SqlDialect) =>
  `status IN ('queued', 'running') AND (lease_expires_at IS NULL OR lease_expires_at < ${d.now})`;

/** The lease still holds: same owner, same generation, and nobody ended the run meanwhile. */
const HELD = "run_id = ? AND lease_owner = ? AND lease_generation = ? AND status = 'running'";

interface RunRow {
  run_id: string;
  tenant: string;
  workflow: string;
  status: RunStatus;
  input: unknown;
  metadata: unknown;
  interrupt: unknown;
  output: unknown;
  error: unknown;
  checkpoint_id: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  pending_resume: unknown;
  lease_owner: string | null;
  lease_generation: number;
  lease_expires_at: unknown;
  started_by: string | null;
  created_at: unknown;
  updated_at: unknown;
}

/** The run registry over either SQL backend; see `RunRegistry` for the contract. */
export class SqlRunRegistry implements RunRegistry {
  readonly #client: SqlClient;
  readonly #d: SqlDialect;
  readonly #runs: string;
  readonly #steps: string;

  constructor(client: SqlClient) {
    this.#client = client;
    this.#d = client.dialect;
    this.#runs = client.dialect.table("runs");
    this.#steps = client.dialect.table("run_steps");
  }

  async create(run: NewRun): Promise<{ run: RunRecord; created: boolean }> {
    const key = run.idempotency_key ?? null;
    const params = [
      run.run_id ?? randomUUID(),
      run.tenant,
      run.workflow,
      run.status ?? "queued",
      JSON.stringify(run.input ?? null),
      JSON.stringify(run.metadata),
      key,
      run.request_hash ?? null,
      run.started_by ?? null,
    ];
    const insert = `INSERT INTO ${this.#runs}
      (run_id, tenant, workflow, status, input, metadata, idempotency_key, request_hash,
       started_by, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ${this.#d.now}, ${this.#d.now})`;
    if (key === null) {
      return { run: await this.#one(`${insert} RETURNING ${COLUMNS}`, params), created: true };
    }
    const inserted = await this.#rows(
      `${insert} ON CONFLICT (tenant, idempotency_key) DO NOTHING RETURNING ${COLUMNS}`,
      params,
    );
    if (inserted.length > 0) return { run: inserted[0], created: true };
    // The conflicting row is committed by now (PostgreSQL waits for the other insert's outcome).
    return {
      run: await this.#one(
        `SELECT ${COLUMNS} FROM ${this.#runs} WHERE tenant = ? AND idempotency_key = ?`,
        [run.tenant, key],
      ),
      created: false,
    };
  }

  async getByIdempotencyKey(tenant: string, key: string): Promise<RunRecord | null> {
    const [run] = await this.#rows(
      `SELECT ${COLUMNS} FROM ${this.#runs} WHERE tenant = ? AND idempotency_key = ?`,
      [tenant, key],
    );
    return run ?? null;
  }

  async get(tenant: string, runId: string): Promise<RunRecord | null> {
    const [run] = await this.#rows(
      `SELECT ${COLUMNS} FROM ${this.#runs} WHERE run_id = ? AND tenant = ?`,
      [runId, tenant],
    );
    return run ?? null;
  }

  async list(query: ListRunsQuery): Promise<RunPage> {
    assertLimit(query.limit);
    const conditions = ["tenant = ?"];
    const params: unknown[] = [query.tenant];
    if (query.workflow !== undefined) {
      conditions.push("workflow = ?");
      params.push(query.workflow);
    }
    if (query.status !== undefined) {
      conditions.push("status = ?");
      params.push(query.status);
    }
    if (query.customer !== undefined) {
      const fields = CUSTOMER_FIELDS.map(
        (field) => `${this.#d.jsonText("input", "customer", field)} = ?`,
      );
      conditions.push(`(${fields.join(" OR ")})`);
      params.push(...CUSTOMER_FIELDS.map(() => query.customer));
    }
    if (query.cursor !== undefined) {
      const after = decodeCursor(query.cursor);
      conditions.push("(created_at, run_id) < (?, ?)");
      params.push(after.created_at, after.run_id);
    }
    // One row more than asked tells whether another page exists.
    params.push(query.limit + 1);
    const runs = await this.#rows(
      `SELECT ${COLUMNS} FROM ${this.#runs} WHERE ${conditions.join(" AND ")}
       ORDER BY created_at DESC, run_id DESC LIMIT ?`,
      params,
    );
    if (runs.length <= query.limit) return { runs, next_cursor: null };
    runs.length = query.limit;
    return { runs, next_cursor: encodeCursor(runs[runs.length - 1]) };
  }

  async transition(runId: string, change: RunTransition): Promise<RunRecord | null> {
    if (change.from.length === 0) throw new TypeError("transition needs at least one from status");
    const patch = this.#assignments(change.set ?? {});
    const held = change.lease
      ? {
          sql: " AND lease_owner = ? AND lease_generation = ?",
          params: [change.lease.owner, change.lease.generation],
        }
      : { sql: "", params: [] };
    const waitsOn =
      change.interruptId !== undefined
        ? { sql: ` AND ${this.#d.jsonText("interrupt", "id")} = ?`, params: [change.interruptId] }
        : { sql: "", params: [] };
    const [run] = await this.#rows(
      `UPDATE ${this.#runs}
       SET status = ?, lease_owner = NULL, lease_expires_at = NULL, ${patch.sql}
       WHERE run_id = ? AND status IN (${placeholders(change.from.length)})${held.sql}${waitsOn.sql}
       RETURNING ${COLUMNS}`,
      [change.to, ...patch.params, runId, ...change.from, ...held.params, ...waitsOn.params],
    );
    return run ?? null;
  }

  async claim(owner: string, limit: number, leaseMs: number): Promise<RunRecord[]> {
    assertLimit(limit);
    const d = this.#d;
    const claim = `UPDATE ${this.#runs}
      SET status = 'running', lease_owner = ?, lease_generation = lease_generation + 1,
        lease_expires_at = ${d.nowPlus}
      WHERE run_id IN (
        SELECT run_id FROM ${this.#runs} WHERE ${CLAIMABLE(d)}
        ORDER BY created_at, run_id LIMIT ? ${d.skipLocked}
      ) AND ${CLAIMABLE(d)}
      RETURNING ${COLUMNS}`;
    const params = [owner, d.duration(leaseMs), limit];
    const audit = `INSERT INTO ${this.#steps} (run_id, generation, owner, kind, created_at)`;
    if (d.kind === "postgres") {
      // One statement: the claim and its audit rows commit together.
      const claimed = await this.#rows(
        `WITH claimed AS (${claim}),
         audit AS (${audit} SELECT run_id, lease_generation, lease_owner, 'claim', ${d.now} FROM claimed)
         SELECT * FROM claimed`,
        params,
      );
      return claimed.sort(oldestFirst);
    }
    const claimed = await this.#rows(claim, params);
    for (const run of claimed) {
      await this.#client.query(`${audit} VALUES (?, ?, ?, 'claim', ${d.now})`, [
        run.run_id,
        run.lease_generation,
        owner,
      ]);
    }
    return claimed.sort(oldestFirst);
  }

  async renew(leases: readonly Lease[], leaseMs: number): Promise<string[]> {
    if (leases.length === 0) return [];
    const rows = await this.#client.query<{ run_id: string }>(
      `UPDATE ${this.#runs} SET lease_expires_at = ${this.#d.nowPlus}
       WHERE ${leases.map(() => `(${HELD})`).join(" OR ")}
       RETURNING run_id`,
      [this.#d.duration(leaseMs), ...leases.flatMap(leaseParams)],
    );
    return rows.map((row) => row.run_id);
  }

  async release(lease: Lease): Promise<boolean> {
    const rows = await this.#client.query(
      `UPDATE ${this.#runs} SET lease_owner = NULL, lease_expires_at = NULL WHERE ${HELD}
       RETURNING run_id`,
      leaseParams(lease),
    );
    return rows.length > 0;
  }

  async releaseAll(): Promise<number> {
    const rows = await this.#client.query(
      `UPDATE ${this.#runs} SET lease_owner = NULL, lease_expires_at = NULL
       WHERE status = 'running' AND lease_owner IS NOT NULL RETURNING run_id`,
    );
    return rows.length;
  }

  async steps(runId: string): Promise<RunStep[]> {
    const rows = await this.#client.query<RunStep & { created_at: unknown }>(
      `SELECT step_id, run_id, generation, owner, kind, checkpoint_id, step, created_at
       FROM ${this.#steps} WHERE run_id = ? ORDER BY step_id`,
      [runId],
    );
    return rows.map((row) => ({
      ...row,
      // PostgreSQL's BIGINT arrives as a string; ids stay far below 2^53.
      step_id: Number(row.step_id),
      created_at: this.#d.readTimestamp(row.created_at),
    }));
  }

  /** `col = ?, …, updated_at = now` for the fields the patch sets. */
  #assignments(set: RunPatch): { sql: string; params: unknown[] } {
    const columns: string[] = [];
    const params: unknown[] = [];
    for (const field of JSON_PATCH_FIELDS) {
      const value = set[field];
      if (value === undefined) continue;
      columns.push(`${field} = ?`);
      params.push(value === null ? null : JSON.stringify(value));
    }
    if (set.checkpoint_id !== undefined) {
      columns.push("checkpoint_id = ?");
      params.push(set.checkpoint_id);
    }
    columns.push(`updated_at = ${this.#d.now}`);
    return { sql: columns.join(", "), params };
  }

  async #rows(sql: string, params: readonly unknown[]): Promise<RunRecord[]> {
    const rows = await this.#client.query<RunRow>(sql, params);
    return rows.map((row) => this.#toRecord(row));
  }

  async #one(sql: string, params: readonly unknown[]): Promise<RunRecord> {
    const [run] = await this.#rows(sql, params);
    if (!run) throw new Error("run registry: expected a row");
    return run;
  }

  #toRecord(row: RunRow): RunRecord {
    const d = this.#d;
    return {
      run_id: row.run_id,
      tenant: row.tenant,
      workflow: row.workflow,
      status: row.status,
      input: d.readJson(row.input),
      metadata: d.readJson(row.metadata) as Record<string, unknown>,
      interrupt: d.readJson(row.interrupt),
      output: d.readJson(row.output),
      error: d.readJson(row.error) as RunError | null,
      checkpoint_id: row.checkpoint_id,
      idempotency_key: row.idempotency_key,
      request_hash: row.request_hash,
      pending_resume: d.readJson(row.pending_resume) as PendingResume | null,
      lease_owner: row.lease_owner,
      lease_generation: Number(row.lease_generation),
      lease_expires_at: row.lease_expires_at == null ? null : d.readTimestamp(row.lease_expires_at),
      started_by: row.started_by ?? null,
      created_at: d.readTimestamp(row.created_at),
      updated_at: d.readTimestamp(row.updated_at),
    };
  }
}

function leaseParams(lease: Lease): unknown[] {
  return [lease.run_id, lease.owner, lease.generation];
}

/**
 * Runs in claim order — creation time, ties broken by run id — compared by code point, since
 * RETURNING promises no order and a database collation may order ids otherwise.
 */
export function oldestFirst(a: RunRecord, b: RunRecord): number {
  const left = `${a.created_at} ${a.run_id}`;
  const right = `${b.created_at} ${b.run_id}`;
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * The fence in front of every checkpoint write of a run execution: extends the lease if it still
 * holds, and records a stored checkpoint (`step`) as executed under it — in one statement on
 * PostgreSQL, on the connection (and so in the transaction) the checkpoint write uses.
 * Throws `LeaseLostError` when the lease is gone.
 */
export async function fenceLease(
  client: SqlClient,
  lease: Lease,
  leaseMs: number,
  step: { checkpoint_id: string; step: number } | null,
): Promise<void> {
  const d = client.dialect;
  const extend = `UPDATE ${d.table("runs")} SET lease_expires_at = ${d.nowPlus} WHERE ${HELD}
    RETURNING run_id, lease_generation, lease_owner`;
  const params = [d.duration(leaseMs), ...leaseParams(lease)];
  const record = `INSERT INTO ${d.table("run_steps")}
    (run_id, generation, owner, kind, checkpoint_id, step, created_at)`;
  let held: unknown[];
  if (step === null) {
    held = await client.query(extend, params);
  } else if (d.kind === "postgres") {
    held = await client.query(
      `WITH held AS (${extend})
       ${record} SELECT run_id, lease_generation, lease_owner, 'checkpoint',
         CAST(? AS TEXT), CAST(? AS INTEGER), ${d.now} FROM held
       RETURNING step_id`,
      [...params, step.checkpoint_id, step.step],
    );
  } else {
    held = await client.query(extend, params);
    if (held.length > 0) {
      await client.query(`${record} VALUES (?, ?, ?, 'checkpoint', ?, ?, ${d.now})`, [
        lease.run_id,
        lease.generation,
        lease.owner,
        step.checkpoint_id,
        step.step,
      ]);
    }
  }
  if (held.length === 0) throw new LeaseLostError(lease.run_id);
}

function assertLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  }
}

const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Opaque to clients: base64url of `created_at|run_id` of the last run on the page. */
function encodeCursor(run: Pick<RunRecord, "created_at" | "run_id">): string {
  return Buffer.from(`${run.created_at}|${run.run_id}`).toString("base64url");
}

function decodeCursor(cursor: string): { created_at: string; run_id: string } {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const separator = text.indexOf("|");
  const created_at = text.slice(0, separator);
  const run_id = text.slice(separator + 1);
  const valid =
    separator > 0 &&
    run_id.length > 0 &&
    ISO_MILLIS.test(created_at) &&
    !Number.isNaN(Date.parse(created_at)) &&
    // Buffer's decoder skips characters it does not know; only exact round trips are ours.
    encodeCursor({ created_at, run_id }) === cursor;
  if (!valid) throw new InvalidCursorError();
  return { created_at, run_id };
}
