import type { SqlClient, SqlDialect } from "./sql.ts";
import {
  type Lease,
  LeaseLostError,
  type PolarWriteAction,
  type PolarWriteEntry,
  type PolarWriteIntent,
  type PolarWriteLog,
} from "./types.ts";

const COLUMNS = `write_id, tenant, run_id, workflow, node, action, idempotency_key, attempt,
  customer_id, actor, request, status, polar_object_id, result, error, sent_at, answered_at`;

type WriteRow = Omit<PolarWriteEntry, "request" | "sent_at" | "answered_at"> & {
  request: unknown;
  sent_at: unknown;
  answered_at: unknown;
};

/** The journal of Polar writes over either SQL backend; see `PolarWriteLog`. */
export class SqlPolarWriteLog implements PolarWriteLog {
  readonly #client: SqlClient;
  readonly #d: SqlDialect;
  readonly #writes: string;

  constructor(client: SqlClient) {
    this.#client = client;
    this.#d = client.dialect;
    this.#writes = client.dialect.table("polar_writes");
  }

  async find(runId: string, action: PolarWriteAction, key: string) {
    const [row] = await this.#client.query<WriteRow>(
      `SELECT ${COLUMNS} FROM ${this.#writes}
       WHERE run_id = ? AND action = ? AND idempotency_key = ?`,
      [runId, action, key],
    );
    return row ? this.read(row) : null;
  }

  async sending(intent: PolarWriteIntent, lease: Lease, minLeftMs: number) {
    const d = this.#d;
    // The lease check and the record are one statement: nothing is recorded (and so nothing
    // sent) by a replica whose lease is gone or about to lapse.
    const rows = await this.#client.query<WriteRow>(
      `INSERT INTO ${this.#writes} AS w (tenant, run_id, workflow, node, action, idempotency_key,
         attempt, customer_id, actor, request, status, sent_at)
       SELECT tenant, run_id, workflow, ?, ?, ?, 1, ?, ?, ?, 'pending', ${d.now}
       FROM ${d.table("runs")}
       WHERE run_id = ? AND lease_owner = ? AND lease_generation = ? AND status = 'running'
         AND lease_expires_at > ${d.nowPlus}
       ON CONFLICT (run_id, action, idempotency_key) DO UPDATE SET
         attempt = w.attempt + 1, node = excluded.node, actor = excluded.actor,
         request = excluded.request, status = 'pending', sent_at = excluded.sent_at,
         polar_object_id = NULL, result = NULL, error = NULL, answered_at = NULL
       RETURNING ${COLUMNS}`,
      [
        intent.node,
        intent.action,
        intent.idempotency_key,
        intent.customer_id,
        intent.actor,
        JSON.stringify(intent.request),
        lease.run_id,
        lease.owner,
        lease.generation,
        d.duration(minLeftMs),
      ],
    );
    const [row] = rows;
    if (!row) throw new LeaseLostError(lease.run_id);
    return this.read(row);
  }

  async answered(
    writeId: number,
    outcome: Parameters<PolarWriteLog["answered"]>[1],
  ): Promise<void> {
    await this.#client.query(
      `UPDATE ${this.#writes} SET status = ?, polar_object_id = ?, result = ?, error = ?,
         answered_at = ${this.#d.now}
       WHERE write_id = ?`,
      [
        outcome.status,
        outcome.polar_object_id ?? null,
        outcome.result === undefined ? null : JSON.stringify(outcome.result),
        outcome.error ?? null,
        writeId,
      ],
    );
  }

  read(row: WriteRow): PolarWriteEntry {
    const d = this.#d;
    return {
      ...row,
      write_id: Number(row.write_id),
      request: d.readJson(row.request) as Record<string, unknown>,
      result: d.readJson(row.result),
      sent_at: d.readTimestamp(row.sent_at),
      answered_at: row.answered_at == null ? null : d.readTimestamp(row.answered_at),
    };
  }
}
