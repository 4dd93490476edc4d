/**
 * Checkpoint retention (DESIGN §4 `CHECKPOINT_RETENTION_DAYS`): a finished run — completed,
 * cancelled, or failed for good — keeps only its final checkpoint once it finished long enough
 * ago; its record, events, output and audit entries stay. Runs that may still go on (queued,
 * running, interrupted, failed with a retryable error) are never touched. Small batches, one
 * replica at a time (a claimed row in `maintenance_leases`), each statement bounded.
 */
import type { SqlClient, SqlDialect } from "./sql.ts";
import type { CheckpointRetention } from "./types.ts";

const LEASE_NAME = "checkpoint-retention";

export class SqlCheckpointRetention implements CheckpointRetention {
  readonly #client: SqlClient;
  readonly #d: SqlDialect;

  constructor(client: SqlClient) {
    this.#client = client;
    this.#d = client.dialect;
  }

  async prune(options: {
    finishedBeforeMs: number;
    limit: number;
    owner: string;
    leaseMs: number;
  }) {
    const d = this.#d;
    if (!(await this.#claim(options.owner, options.leaseMs))) return { runs: 0, checkpoints: 0 };
    const failedForGood =
      d.kind === "postgres"
        ? "(error->>'retryable')::boolean IS NOT TRUE"
        : "COALESCE(json_extract(error, '$.retryable'), 0) = 0";
    const due = await this.#client.query<{ run_id: string }>(
      `SELECT run_id FROM ${d.table("runs")}
       WHERE checkpoints_pruned_at IS NULL AND updated_at <= ?
         AND (status IN ('completed', 'cancelled') OR (status = 'failed' AND ${failedForGood}))
       ORDER BY updated_at LIMIT ${Math.floor(options.limit)}`,
      [new Date(Date.now() - options.finishedBeforeMs).toISOString()],
    );
    let checkpoints = 0;
    for (const { run_id } of due) {
      checkpoints += await this.#pruneRun(run_id);
      await this.#client.query(
        `UPDATE ${d.table("runs")} SET checkpoints_pruned_at = ${d.now}
         WHERE run_id = ? AND status IN ('completed', 'cancelled', 'failed')`,
        [run_id],
      );
    }
    return { runs: due.length, checkpoints };
  }

  /** Rows and bytes of a run's checkpoints (checkpoints, channel blobs, pending writes). */
  async footprint(runId: string): Promise<{ rows: number; bytes: number }> {
    const d = this.#d;
    const size = d.kind === "postgres" ? "pg_column_size" : "length";
    const parts =
      d.kind === "postgres"
        ? [
            `SELECT COUNT(*) AS rows, COALESCE(SUM(${size}(checkpoint) + ${size}(metadata)), 0) AS bytes FROM ${d.table("checkpoints")} WHERE thread_id = ?`,
            `SELECT COUNT(*), COALESCE(SUM(COALESCE(${size}(blob), 0)), 0) FROM ${d.table("checkpoint_blobs")} WHERE thread_id = ?`,
            `SELECT COUNT(*), COALESCE(SUM(${size}(blob)), 0) FROM ${d.table("checkpoint_writes")} WHERE thread_id = ?`,
          ]
        : [
            `SELECT COUNT(*) AS rows, COALESCE(SUM(${size}(checkpoint) + ${size}(metadata)), 0) AS bytes FROM checkpoints WHERE thread_id = ?`,
            `SELECT COUNT(*), COALESCE(SUM(COALESCE(${size}(value), 0)), 0) FROM writes WHERE thread_id = ?`,
          ];
    const rows = await this.#client.query<{ rows: unknown; bytes: unknown }>(
      parts.join(" UNION ALL "),
      parts.map(() => runId),
    );
    let total = { rows: 0, bytes: 0 };
    for (const row of rows) {
      total = { rows: total.rows + Number(row.rows), bytes: total.bytes + Number(row.bytes) };
    }
    return total;
  }

  /** Takes (or keeps) the pruning turn for `leaseMs`; false while another replica has it. */
  async #claim(owner: string, leaseMs: number): Promise<boolean> {
    const d = this.#d;
    const rows = await this.#client.query(
      `INSERT INTO ${d.table("maintenance_leases")} AS m (name, owner, expires_at)
       VALUES (?, ?, ${d.nowPlus})
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
       WHERE m.owner = excluded.owner OR m.expires_at < ${d.now}
       RETURNING owner`,
      [LEASE_NAME, owner, d.duration(leaseMs)],
    );
    return rows.length > 0;
  }

  /** Deletes all but the latest checkpoint of each namespace; answers how many went. */
  async #pruneRun(runId: string): Promise<number> {
    const d = this.#d;
    const checkpoints = d.table("checkpoints");
    const writes = d.table(d.kind === "postgres" ? "checkpoint_writes" : "writes");
    const older = `o.thread_id = ? AND o.checkpoint_id < (SELECT MAX(c.checkpoint_id)
      FROM ${checkpoints} c WHERE c.thread_id = ? AND c.checkpoint_ns = o.checkpoint_ns)`;
    await this.#client.query(`DELETE FROM ${writes} AS o WHERE ${older}`, [runId, runId]);
    const gone = await this.#client.query<{ checkpoint_id: string }>(
      `DELETE FROM ${checkpoints} AS o WHERE ${older} RETURNING checkpoint_id`,
      [runId, runId],
    );
    if (d.kind === "postgres") {
      // Channel values live apart, by version: only the versions the kept checkpoint names stay.
      const blobs = d.table("checkpoint_blobs");
      await this.#client.query(
        `DELETE FROM ${blobs} b WHERE b.thread_id = ? AND NOT EXISTS (
           SELECT 1 FROM ${checkpoints} c WHERE c.thread_id = b.thread_id
             AND c.checkpoint_ns = b.checkpoint_ns
             AND c.checkpoint -> 'channel_versions' ->> b.channel = b.version)`,
        [runId],
      );
    }
    return gone.length;
  }
}
