import type { SqlClient, SqlDialect } from "./sql.ts";
import type { RunEvent, RunEventLog, RunEventType } from "./types.ts";

interface EventRow {
  event_id: number | string;
  run_id: string;
  type: RunEventType;
  data: unknown;
  created_at: unknown;
}

const COLUMNS = "event_id, run_id, type, data, created_at";

/** The run event log over either SQL backend; see `RunEventLog` for the contract. */
export class SqlRunEventLog implements RunEventLog {
  readonly #client: SqlClient;
  readonly #d: SqlDialect;
  readonly #events: string;
  readonly #runs: string;

  constructor(client: SqlClient) {
    this.#client = client;
    this.#d = client.dialect;
    this.#events = client.dialect.table("run_events");
    this.#runs = client.dialect.table("runs");
  }

  async append(
    runId: string,
    events: readonly { type: RunEventType; data: unknown }[],
  ): Promise<RunEvent[]> {
    if (events.length === 0) return [];
    const rows = await this.#client.query<EventRow>(
      `INSERT INTO ${this.#events} (run_id, type, data, created_at)
       VALUES ${events.map(() => `(?, ?, ?, ${this.#d.now})`).join(", ")} RETURNING ${COLUMNS}`,
      events.flatMap((event) => [runId, event.type, JSON.stringify(event.data ?? null)]),
    );
    if (rows.length !== events.length) throw new Error("run event log: expected one row per event");
    // RETURNING gives no order guarantee; ids follow the VALUES order.
    return rows.map((row) => this.#toEvent(row)).sort((a, b) => a.event_id - b.event_id);
  }

  async after(runId: string, afterEventId: number, limit: number): Promise<RunEvent[]> {
    const rows = await this.#client.query<EventRow>(
      `SELECT ${COLUMNS} FROM ${this.#events} WHERE run_id = ? AND event_id > ?
       ORDER BY event_id LIMIT ?`,
      [runId, afterEventId, limit],
    );
    return rows.map((row) => this.#toEvent(row));
  }

  async latest(runId: string, type: RunEventType): Promise<RunEvent | null> {
    const [row] = await this.#client.query<EventRow>(
      `SELECT ${COLUMNS} FROM ${this.#events} WHERE run_id = ? AND type = ?
       ORDER BY event_id DESC LIMIT 1`,
      [runId, type],
    );
    return row ? this.#toEvent(row) : null;
  }

  async tenantAfter(
    tenant: string,
    types: readonly RunEventType[],
    afterEventId: number,
    limit: number,
  ): Promise<RunEvent[]> {
    if (types.length === 0) return [];
    // Walks the event ids after the cursor (the primary key) and keeps the tenant's: a live
    // stream's cursor is near the end, so few rows are looked at.
    const rows = await this.#client.query<EventRow>(
      `SELECT ${COLUMNS.split(", ")
        .map((column) => `e.${column}`)
        .join(", ")}
       FROM ${this.#events} e JOIN ${this.#runs} r ON r.run_id = e.run_id
       WHERE e.event_id > ? AND r.tenant = ? AND e.type IN (${types.map(() => "?").join(", ")})
       ORDER BY e.event_id LIMIT ?`,
      [afterEventId, tenant, ...types, limit],
    );
    return rows.map((row) => this.#toEvent(row));
  }

  async lastId(): Promise<number> {
    const [row] = await this.#client.query<{ last: number | string | null }>(
      `SELECT MAX(event_id) AS last FROM ${this.#events}`,
    );
    return Number(row?.last ?? 0);
  }

  #toEvent(row: EventRow): RunEvent {
    return {
      // PostgreSQL's BIGINT arrives as a string; ids stay far below 2^53.
      event_id: Number(row.event_id),
      run_id: row.run_id,
      type: row.type,
      data: this.#d.readJson(row.data),
      created_at: this.#d.readTimestamp(row.created_at),
    };
  }
}
