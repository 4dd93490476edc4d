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

  constructor(client: SqlClient) {
    this.#client = client;
    this.#d = client.dialect;
    this.#events = client.dialect.table("run_events");
  }

  async append(runId: string, type: RunEventType, data: unknown): Promise<RunEvent> {
    const [row] = await this.#client.query<EventRow>(
      `INSERT INTO ${this.#events} (run_id, type, data, created_at)
       VALUES (?, ?, ?, ${this.#d.now}) RETURNING ${COLUMNS}`,
      [runId, type, JSON.stringify(data ?? null)],
    );
    if (!row) throw new Error("run event log: expected a row");
    return this.#toEvent(row);
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
