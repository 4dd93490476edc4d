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
