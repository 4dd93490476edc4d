import { randomUUID } from "node:crypto";
import { placeholders, type SqlClient, type SqlDialect } from "./sql.ts";
import {
  InvalidCursorError,
  type ListRunsQuery,
  type NewRun,
  type RunError,
  type RunPage,
  type RunPatch,
  type RunRecord,
  type RunRegistry,
  type RunStatus,
} from "./types.ts";

const COLUMNS =
  "run_id, tenant, workflow, status, input, metadata, interrupt, output, error, checkpoint_id, " +
  "idempotency_key, request_hash, created_at, updated_at";

const JSON_PATCH_FIELDS = ["interrupt", "output", "error", "metadata"] as const;

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
  created_at: unknown;
  updated_at: unknown;
}

/** The run registry over either SQL backend; see `RunRegistry` for the contract. */
export class SqlRunRegistry implements RunRegistry {
  readonly #client: SqlClient;
  readonly #d: SqlDialect;
  readonly #runs: string;

  constructor(client: SqlClient) {
    this.#client = client;
    this.#d = client.dialect;
    this.#runs = client.dialect.table("runs");
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
    ];
    const insert = `INSERT INTO ${this.#runs}
      (run_id, tenant, workflow, status, input, metadata, idempotency_key, request_hash,
       created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ${this.#d.now}, ${this.#d.now})`;
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

  async transition(
    runId: string,
    change: { from: readonly RunStatus[]; to: RunStatus; set?: RunPatch },
  ): Promise<RunRecord | null> {
    if (change.from.length === 0) throw new TypeError("transition needs at least one from status");
    const patch = this.#assignments(change.set ?? {});
    const [run] = await this.#rows(
      `UPDATE ${this.#runs} SET status = ?, ${patch.sql}
       WHERE run_id = ? AND status IN (${placeholders(change.from.length)})
       RETURNING ${COLUMNS}`,
      [change.to, ...patch.params, runId, ...change.from],
    );
    return run ?? null;
  }

  async update(runId: string, set: RunPatch): Promise<RunRecord | null> {
    const patch = this.#assignments(set);
    const [run] = await this.#rows(
      `UPDATE ${this.#runs} SET ${patch.sql} WHERE run_id = ? RETURNING ${COLUMNS}`,
      [...patch.params, runId],
    );
    return run ?? null;
  }

  async listByStatus(statuses: readonly RunStatus[], limit: number): Promise<RunRecord[]> {
    assertLimit(limit);
    if (statuses.length === 0) return [];
    return this.#rows(
      `SELECT ${COLUMNS} FROM ${this.#runs} WHERE status IN (${placeholders(statuses.length)})
       ORDER BY created_at, run_id LIMIT ?`,
      [...statuses, limit],
    );
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
      created_at: d.readTimestamp(row.created_at),
      updated_at: d.readTimestamp(row.updated_at),
    };
  }
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
