import type { SqlClient, SqlDialect } from "./sql.ts";
import type { PendingThread, ThreadQuery, ThreadRun, ThreadStore, ThreadSummary } from "./types.ts";

const RUN_COLUMNS =
  "run_id, thread_id, tenant, assistant_id, metadata, final_status, created_at, updated_at";

/** Metadata keys a search may filter on: also used as a JSON path, so nothing exotic. */
const METADATA_KEY = /^[A-Za-z0-9_.-]{1,64}$/;

/** Keys that name the workflow rather than a metadata entry. */
const WORKFLOW_KEYS = new Set(["graph_id", "assistant_id"]);

type Row = Record<string, unknown>;

/** The LangGraph thread store over either SQL backend; see `ThreadStore` for the contract. */
export class SqlThreadStore implements ThreadStore {
  readonly #client: SqlClient;
  readonly #d: SqlDialect;
  readonly #pending: string;
  readonly #runs: string;

  constructor(client: SqlClient) {
    this.#client = client;
    this.#d = client.dialect;
    this.#pending = client.dialect.table("pending_threads");
    this.#runs = client.dialect.table("thread_runs");
  }

  async idTaken(threadId: string): Promise<boolean> {
    const rows = await this.#client.query(
      `SELECT 1 AS taken FROM ${this.#d.table("runs")} WHERE run_id = ?
       UNION ALL SELECT 1 AS taken FROM ${this.#pending} WHERE thread_id = ?`,
      [threadId, threadId],
    );
    return rows.length > 0;
  }

  async createPending(thread: Omit<PendingThread, "created_at">): Promise<PendingThread | null> {
    const [row] = await this.#client.query<Row>(
      `INSERT INTO ${this.#pending} (thread_id, tenant, metadata, created_at)
       VALUES (?, ?, ?, ${this.#d.now}) ON CONFLICT (thread_id) DO NOTHING
       RETURNING thread_id, tenant, metadata, created_at`,
      [thread.thread_id, thread.tenant, JSON.stringify(thread.metadata)],
    );
    return row ? this.#pendingOf(row) : null;
  }

  async getPending(tenant: string, threadId: string): Promise<PendingThread | null> {
    const [row] = await this.#client.query<Row>(
      `SELECT thread_id, tenant, metadata, created_at FROM ${this.#pending}
       WHERE thread_id = ? AND tenant = ?`,
      [threadId, tenant],
    );
    return row ? this.#pendingOf(row) : null;
  }

  async claimPending(tenant: string, threadId: string): Promise<PendingThread | null> {
    const [row] = await this.#client.query<Row>(
      `DELETE FROM ${this.#pending} WHERE thread_id = ? AND tenant = ?
       RETURNING thread_id, tenant, metadata, created_at`,
      [threadId, tenant],
    );
    return row ? this.#pendingOf(row) : null;
  }

  async restorePending(thread: PendingThread): Promise<void> {
    await this.#client.query(
      `INSERT INTO ${this.#pending} (thread_id, tenant, metadata, created_at)
       VALUES (?, ?, ?, ?) ON CONFLICT (thread_id) DO NOTHING`,
      [thread.thread_id, thread.tenant, JSON.stringify(thread.metadata), thread.created_at],
    );
  }

  async addRun(
    run: Omit<ThreadRun, "final_status" | "created_at" | "updated_at">,
    supersededStatus: string,
  ): Promise<ThreadRun> {
    await this.#client.query(
      `UPDATE ${this.#runs} SET final_status = ?, updated_at = ${this.#d.now}
       WHERE thread_id = ? AND final_status IS NULL`,
      [supersededStatus, run.thread_id],
    );
    const [row] = await this.#client.query<Row>(
      `INSERT INTO ${this.#runs} (run_id, thread_id, tenant, assistant_id, metadata, created_at,
         updated_at)
       VALUES (?, ?, ?, ?, ?, ${this.#d.now}, ${this.#d.now}) RETURNING ${RUN_COLUMNS}`,
      [run.run_id, run.thread_id, run.tenant, run.assistant_id, JSON.stringify(run.metadata)],
    );
    return this.#runOf(row!);
  }

  async getRun(tenant: string, threadId: string, runId: string): Promise<ThreadRun | null> {
    const [row] = await this.#client.query<Row>(
      `SELECT ${RUN_COLUMNS} FROM ${this.#runs} WHERE run_id = ? AND thread_id = ? AND tenant = ?`,
      [runId, threadId, tenant],
    );
    return row ? this.#runOf(row) : null;
  }

  async listRuns(tenant: string, threadId: string, limit: number): Promise<ThreadRun[]> {
    const rows = await this.#client.query<Row>(
      `SELECT ${RUN_COLUMNS} FROM ${this.#runs} WHERE thread_id = ? AND tenant = ?
       ORDER BY created_at DESC, run_id DESC LIMIT ?`,
      [threadId, tenant, limit],
    );
    return rows.map((row) => this.#runOf(row));
  }

  async search(query: ThreadQuery): Promise<ThreadSummary[]> {
    const d = this.#d;
    const pendingWorkflow = d.jsonText("metadata", "graph_id");
    const parts: string[] = [];
    const params: unknown[] = [];
    if (query.statuses === undefined || query.statuses.length > 0) {
      let sql = `SELECT run_id AS thread_id, status, workflow, metadata, interrupt, error,
        created_at, updated_at FROM ${d.table("runs")} WHERE tenant = ?`;
      params.push(query.tenant);
      if (query.statuses !== undefined) {
        sql += ` AND status IN (${query.statuses.map(() => "?").join(", ")})`;
        params.push(...query.statuses);
      }
      parts.push(sql);
    }
    if (query.pending) {
      parts.push(`SELECT thread_id, NULL AS status, ${pendingWorkflow} AS workflow, metadata,
        NULL AS interrupt, NULL AS error, created_at, created_at AS updated_at FROM ${this.#pending} WHERE tenant = ?`);
      params.push(query.tenant);
    }
    if (parts.length === 0) return [];
    const conditions: string[] = [];
    for (const [key, value] of Object.entries(query.metadata ?? {})) {
      if (!METADATA_KEY.test(key)) throw new Error(`metadata key ${key} cannot be searched`);
      if (WORKFLOW_KEYS.has(key)) {
        conditions.push("workflow = ?");
        params.push(typeof value === "string" ? value : JSON.stringify(value));
      } else if (d.kind === "postgres") {
        conditions.push("metadata @> CAST(? AS JSONB)");
        params.push(JSON.stringify({ [key]: value }));
      } else {
        conditions.push("json_extract(metadata, ?) = json_extract(?, '$')");
        params.push(`$."${key}"`, JSON.stringify(value));
      }
    }
    params.push(query.limit, query.offset);
    const rows = await this.#client.query<Row>(
      `SELECT thread_id, status, workflow, metadata, interrupt, error, created_at, updated_at
       FROM (${parts.join(" UNION ALL ")}) AS threads
       ${conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : ""}
       ORDER BY created_at DESC, thread_id DESC LIMIT ? OFFSET ?`,
      params,
    );
    return rows.map((row) => ({
      thread_id: row.thread_id as string,
      status: (row.status as ThreadSummary["status"]) ?? null,
      workflow: (row.workflow as string | null) ?? null,
      metadata: d.readJson(row.metadata) as Record<string, unknown>,
      interrupt: d.readJson(row.interrupt),
      error: d.readJson(row.error) as ThreadSummary["error"],
      created_at: d.readTimestamp(row.created_at),
      updated_at: d.readTimestamp(row.updated_at),
    }));
  }

  #pendingOf(row: Row): PendingThread {
    return {
      thread_id: row.thread_id as string,
      tenant: row.tenant as string,
      metadata: this.#d.readJson(row.metadata) as Record<string, unknown>,
      created_at: this.#d.readTimestamp(row.created_at),
    };
  }

  #runOf(row: Row): ThreadRun {
    return {
      run_id: row.run_id as string,
      thread_id: row.thread_id as string,
      tenant: row.tenant as string,
      assistant_id: row.assistant_id as string,
      metadata: this.#d.readJson(row.metadata) as Record<string, unknown>,
      final_status: (row.final_status as string | null) ?? null,
      created_at: this.#d.readTimestamp(row.created_at),
      updated_at: this.#d.readTimestamp(row.updated_at),
    };
  }
}
