/**
 * Usage watches (§10): their settings, their schedules (a tick is claimed by one replica with a
 * compare-and-set on `next_sweep_at`), and the remediation ledger whose primary key — tenant,
 * watch, customer, billing period — lets exactly one remediation exist per period, whoever
 * notices the overage first.
 */
import type { SqlClient, SqlDialect } from "./sql.ts";

export interface WatchRecord {
  tenant: string;
  name: string;
  /** The watch's settings as the API took them (and the products they resolved to). */
  spec: unknown;
  enabled: boolean;
  /** 5-field UTC cron; null: sweeps only when asked. */
  schedule: string | null;
  /** ISO 8601; null without a schedule (or disabled). */
  next_sweep_at: string | null;
  last_sweep_at: string | null;
  last_sweep_run_id: string | null;
  created_at: string;
  updated_at: string;
}

export type WatchWrite = Pick<
  WatchRecord,
  "tenant" | "name" | "spec" | "enabled" | "schedule" | "next_sweep_at"
>;

/** A customer's remediation for one watch and billing period (`watch_remediations`). */
export interface RemediationClaim {
  tenant: string;
  watch: string;
  customer_id: string;
  /** The billing period's start, ISO 8601 (normalized, so every path writes the same key). */
  period_start: string;
  run_id: string;
  source: "sweep" | "webhook";
}

export interface WatchStore {
  /** Creates or replaces the watch (its sweep history stays); `created` says which. */
  put(watch: WatchWrite): Promise<{ watch: WatchRecord; created: boolean }>;
  get(tenant: string, name: string): Promise<WatchRecord | null>;
  /** The tenant's watches by name. */
  list(tenant: string): Promise<WatchRecord[]>;
  delete(tenant: string, name: string): Promise<boolean>;
  /** Enabled, scheduled watches whose tick is at or before `now` (any tenant). */
  due(now: string, limit: number): Promise<WatchRecord[]>;
  /**
   * Claims the tick `dueAt` of a watch for one sweep: true for exactly one caller, who moves
   * `next_sweep_at` on to `nextAt` and records the sweep it will start.
   */
  claimTick(
    watch: Pick<WatchRecord, "tenant" | "name">,
    dueAt: string,
    nextAt: string | null,
    sweep: { run_id: string; at: string },
  ): Promise<boolean>;
  /** A sweep asked for by a person: the watch's last sweep. */
  recordSweep(tenant: string, name: string, sweep: { run_id: string; at: string }): Promise<void>;
  /** Scheduled sweeps claimed whose run never got created (every replica died in between). */
  orphanedSweeps(): Promise<WatchRecord[]>;
  /**
   * Inserts the claim unless the key has one: answers the key's run id and whether this call
   * made the claim.
   */
  claimRemediation(claim: RemediationClaim): Promise<{ run_id: string; claimed: boolean }>;
}

interface WatchRow {
  tenant: string;
  name: string;
  spec: unknown;
  enabled: number | boolean;
  schedule: string | null;
  next_sweep_at: unknown;
  last_sweep_at: unknown;
  last_sweep_run_id: string | null;
  created_at: unknown;
  updated_at: unknown;
}

const COLUMNS =
  "tenant, name, spec, enabled, schedule, next_sweep_at, last_sweep_at, last_sweep_run_id, created_at, updated_at";

export class SqlWatchStore implements WatchStore {
  readonly #client: SqlClient;
  readonly #d: SqlDialect;
  readonly #watches: string;
  readonly #claims: string;

  constructor(client: SqlClient) {
    this.#client = client;
    this.#d = client.dialect;
    this.#watches = client.dialect.table("watches");
    this.#claims = client.dialect.table("watch_remediations");
  }

  async put(watch: WatchWrite): Promise<{ watch: WatchRecord; created: boolean }> {
    const d = this.#d;
    const spec = JSON.stringify(watch.spec);
    const enabled = watch.enabled ? 1 : 0;
    const inserted = await this.#client.query<WatchRow>(
      `INSERT INTO ${this.#watches}
       (tenant, name, spec, enabled, schedule, next_sweep_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ${d.now}, ${d.now})
       ON CONFLICT (tenant, name) DO NOTHING RETURNING ${COLUMNS}`,
      [watch.tenant, watch.name, spec, enabled, watch.schedule, watch.next_sweep_at],
    );
    if (inserted[0]) return { watch: this.#toWatch(inserted[0]), created: true };
    const [updated] = await this.#client.query<WatchRow>(
      `UPDATE ${this.#watches} SET spec = ?, enabled = ?, schedule = ?, next_sweep_at = ?,
       updated_at = ${d.now} WHERE tenant = ? AND name = ? RETURNING ${COLUMNS}`,
      [spec, enabled, watch.schedule, watch.next_sweep_at, watch.tenant, watch.name],
    );
    if (!updated) return this.put(watch); // deleted in between: create it
    return { watch: this.#toWatch(updated), created: false };
  }

  async get(tenant: string, name: string): Promise<WatchRecord | null> {
    const [row] = await this.#client.query<WatchRow>(
      `SELECT ${COLUMNS} FROM ${this.#watches} WHERE tenant = ? AND name = ?`,
      [tenant, name],
    );
    return row ? this.#toWatch(row) : null;
  }

  async list(tenant: string): Promise<WatchRecord[]> {
    const rows = await this.#client.query<WatchRow>(
      `SELECT ${COLUMNS} FROM ${this.#watches} WHERE tenant = ? ORDER BY name`,
      [tenant],
    );
    return rows.map((row) => this.#toWatch(row));
  }

  async delete(tenant: string, name: string): Promise<boolean> {
    const rows = await this.#client.query<{ name: string }>(
      `DELETE FROM ${this.#watches} WHERE tenant = ? AND name = ? RETURNING name`,
      [tenant, name],
    );
    return rows.length > 0;
  }

  async due(now: string, limit: number): Promise<WatchRecord[]> {
    const rows = await this.#client.query<WatchRow>(
      `SELECT ${COLUMNS} FROM ${this.#watches}
       WHERE next_sweep_at IS NOT NULL AND next_sweep_at <= ? AND enabled = 1
       ORDER BY next_sweep_at LIMIT ?`,
      [this.#timestamp(now), limit],
    );
    return rows.map((row) => this.#toWatch(row));
  }

  async claimTick(
    watch: Pick<WatchRecord, "tenant" | "name">,
    dueAt: string,
    nextAt: string | null,
    sweep: { run_id: string; at: string },
  ): Promise<boolean> {
    const rows = await this.#client.query<{ name: string }>(
      `UPDATE ${this.#watches} SET next_sweep_at = ?, last_sweep_at = ?, last_sweep_run_id = ?
       WHERE tenant = ? AND name = ? AND next_sweep_at = ? RETURNING name`,
      [
        nextAt === null ? null : this.#timestamp(nextAt),
        this.#timestamp(sweep.at),
        sweep.run_id,
        watch.tenant,
        watch.name,
        this.#timestamp(dueAt),
      ],
    );
    return rows.length > 0;
  }

  async recordSweep(tenant: string, name: string, sweep: { run_id: string; at: string }) {
    await this.#client.query(
      `UPDATE ${this.#watches} SET last_sweep_at = ?, last_sweep_run_id = ?
       WHERE tenant = ? AND name = ?`,
      [this.#timestamp(sweep.at), sweep.run_id, tenant, name],
    );
  }

  async orphanedSweeps(): Promise<WatchRecord[]> {
    const rows = await this.#client.query<WatchRow>(
      `SELECT ${COLUMNS.split(", ")
        .map((column) => `w.${column}`)
        .join(", ")} FROM ${this.#watches} w
       WHERE w.last_sweep_run_id IS NOT NULL AND NOT EXISTS
         (SELECT 1 FROM ${this.#d.table("runs")} r WHERE r.run_id = w.last_sweep_run_id)`,
    );
    return rows.map((row) => this.#toWatch(row));
  }

  async claimRemediation(claim: RemediationClaim): Promise<{ run_id: string; claimed: boolean }> {
    const key = [claim.tenant, claim.watch, claim.customer_id, claim.period_start];
    const inserted = await this.#client.query<{ run_id: string }>(
      `INSERT INTO ${this.#claims}
       (tenant, watch, customer_id, period_start, run_id, source, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ${this.#d.now})
       ON CONFLICT (tenant, watch, customer_id, period_start) DO NOTHING RETURNING run_id`,
      [...key, claim.run_id, claim.source],
    );
    if (inserted[0]) return { run_id: inserted[0].run_id, claimed: true };
    // The conflicting row is committed by now (PostgreSQL waits for the other insert's outcome).
    const [existing] = await this.#client.query<{ run_id: string }>(
      `SELECT run_id FROM ${this.#claims}
       WHERE tenant = ? AND watch = ? AND customer_id = ? AND period_start = ?`,
      key,
    );
    if (!existing) throw new Error("remediation claim vanished");
    return { run_id: existing.run_id, claimed: false };
  }

  /** SQLite compares the ISO text; both need the same form, so every instant goes through Date. */
  #timestamp(value: string): string {
    return new Date(value).toISOString();
  }

  #toWatch(row: WatchRow): WatchRecord {
    const d = this.#d;
    const at = (value: unknown) => (value == null ? null : d.readTimestamp(value));
    return {
      tenant: row.tenant,
      name: row.name,
      spec: d.readJson(row.spec),
      enabled: Number(row.enabled) === 1,
      schedule: row.schedule,
      next_sweep_at: at(row.next_sweep_at),
      last_sweep_at: at(row.last_sweep_at),
      last_sweep_run_id: row.last_sweep_run_id,
      created_at: d.readTimestamp(row.created_at),
      updated_at: d.readTimestamp(row.updated_at),
    };
  }
}
