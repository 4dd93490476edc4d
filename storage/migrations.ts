import type { SqlClient, SqlDialect } from "./sql.ts";
import { RUN_STATUSES } from "./types.ts";

/**
 * The registry's schema, in order: version n is `MIGRATIONS[n - 1]`. Only ever append; never
 * edit an applied step.
 */
const MIGRATIONS: ReadonlyArray<(d: SqlDialect) => string[]> = [
  (d) => {
    const runs = d.table("runs");
    const statuses = RUN_STATUSES.map((status) => `'${status}'`).join(", ");
    return [
      `CREATE TABLE ${runs} (
        run_id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        workflow TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN (${statuses})),
        input ${d.jsonType} NOT NULL,
        metadata ${d.jsonType} NOT NULL,
        interrupt ${d.jsonType},
        output ${d.jsonType},
        error ${d.jsonType},
        checkpoint_id TEXT,
        idempotency_key TEXT,
        request_hash TEXT,
        created_at ${d.timestampType} NOT NULL,
        updated_at ${d.timestampType} NOT NULL
      )`,
      // Each list index ends in the full sort key, so a page is an index range scan.
      `CREATE INDEX runs_tenant_created_idx ON ${runs} (tenant, created_at DESC, run_id DESC)`,
      `CREATE INDEX runs_tenant_status_created_idx
        ON ${runs} (tenant, status, created_at DESC, run_id DESC)`,
      `CREATE INDEX runs_tenant_workflow_created_idx
        ON ${runs} (tenant, workflow, created_at DESC, run_id DESC)`,
      // NULL keys never collide, in both databases.
      `CREATE UNIQUE INDEX runs_tenant_idempotency_key_idx ON ${runs} (tenant, idempotency_key)`,
      // Start-up recovery looks for queued/running runs across tenants.
      `CREATE INDEX runs_status_created_idx ON ${runs} (status, created_at, run_id)`,
    ];
  },
  // 2: what happened to each run, in order, for server-sent events and their replay.
  (d) => [
    `CREATE TABLE ${d.table("run_events")} (
      event_id ${d.serialKeyType},
      run_id TEXT NOT NULL,
      type TEXT NOT NULL,
      data ${d.jsonType} NOT NULL,
      created_at ${d.timestampType} NOT NULL
    )`,
    `CREATE INDEX run_events_run_idx ON ${d.table("run_events")} (run_id, event_id)`,
  ],
  // 3: the shared run queue. A run executes under a lease (owner, generation, expiry); a resume
  // waits in the row until a replica claims it; `run_steps` records who executed what.
  (d) => {
    const runs = d.table("runs");
    const steps = d.table("run_steps");
    return [
      `ALTER TABLE ${runs} ADD COLUMN pending_resume ${d.jsonType}`,
      `ALTER TABLE ${runs} ADD COLUMN lease_owner TEXT`,
      `ALTER TABLE ${runs} ADD COLUMN lease_generation INTEGER NOT NULL DEFAULT 0`,
      `ALTER TABLE ${runs} ADD COLUMN lease_expires_at ${d.timestampType}`,
      // Claims scan only the few unfinished runs; the lease columns stay out of every index, so
      // renewing a lease is a cheap (PostgreSQL: HOT) update.
      `CREATE INDEX runs_claimable_idx ON ${runs} (created_at, run_id)
        WHERE status IN ('queued', 'running')`,
      `DROP INDEX ${d.table("runs_status_created_idx")}`,
      `CREATE TABLE ${steps} (
        step_id ${d.serialKeyType},
        run_id TEXT NOT NULL,
        generation INTEGER NOT NULL,
        owner TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('claim', 'checkpoint')),
        checkpoint_id TEXT,
        step INTEGER,
        created_at ${d.timestampType} NOT NULL
      )`,
      `CREATE INDEX run_steps_run_idx ON ${steps} (run_id, step_id)`,
      ...(d.kind === "postgres" ? notifyTriggers(d) : []),
    ];
  },
  // 4 (approver keys): who answered each interrupt, when, with what note and payload.
  (d) => [
    `CREATE TABLE ${d.table("run_answers")} (
      run_id TEXT NOT NULL,
      interrupt_id TEXT NOT NULL,
      tenant TEXT NOT NULL,
      node TEXT NOT NULL,
      kind TEXT NOT NULL,
      action TEXT NOT NULL CHECK (action IN ('approved', 'rejected', 'answered')),
      answered_by TEXT NOT NULL,
      answered_at ${d.timestampType} NOT NULL,
      note TEXT,
      resume ${d.jsonType} NOT NULL,
      PRIMARY KEY (run_id, interrupt_id)
    )`,
  ],
  // 5 (notices): signed notices waiting for their receiver, kept until delivered or given up.
  (d) => {
    const outbox = d.table("notice_outbox");
    return [
      `CREATE TABLE ${outbox} (
        notice_id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        run_id TEXT NOT NULL,
        body TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at ${d.timestampType} NOT NULL,
        claimed_until ${d.timestampType},
        delivered_at ${d.timestampType},
        given_up_at ${d.timestampType},
        last_error TEXT,
        created_at ${d.timestampType} NOT NULL
      )`,
      `CREATE INDEX notice_outbox_due_idx ON ${outbox} (next_attempt_at, notice_id)
        WHERE delivered_at IS NULL AND given_up_at IS NULL`,
    ];
  },
  // 6 (triggers): usage watches and their schedules; the ledger that makes one remediation per
  // customer, watch and billing period a property of the store; Polar's webhook deliveries.
  (d) => {
    const watches = d.table("watches");
    const deliveries = d.table("webhook_deliveries");
    return [
      `CREATE TABLE ${watches} (
        tenant TEXT NOT NULL,
        name TEXT NOT NULL,
        spec ${d.jsonType} NOT NULL,
        enabled INTEGER NOT NULL,
        schedule TEXT,
        next_sweep_at ${d.timestampType},
        last_sweep_at ${d.timestampType},
        last_sweep_run_id TEXT,
        created_at ${d.timestampType} NOT NULL,
        updated_at ${d.timestampType} NOT NULL,
        PRIMARY KEY (tenant, name)
      )`,
      `CREATE INDEX watches_due_idx ON ${watches} (next_sweep_at) WHERE next_sweep_at IS NOT NULL`,
      `CREATE TABLE ${d.table("watch_remediations")} (
        tenant TEXT NOT NULL,
        watch TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        period_start TEXT NOT NULL,
        run_id TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('sweep', 'webhook')),
        created_at ${d.timestampType} NOT NULL,
        PRIMARY KEY (tenant, watch, customer_id, period_start)
      )`,
      `CREATE TABLE ${deliveries} (
        delivery_id ${d.serialKeyType},
        webhook_id TEXT NOT NULL UNIQUE,
        tenant TEXT NOT NULL,
        type TEXT NOT NULL,
        payload ${d.jsonType} NOT NULL,
        received_at ${d.timestampType} NOT NULL,
        processed_at ${d.timestampType},
        caused ${d.jsonType}
      )`,
      `CREATE INDEX webhook_deliveries_tenant_idx ON ${deliveries} (tenant, delivery_id)`,
    ];
  },
  // 7 (LangGraph API): threads created before their first run, and LangGraph runs (each start,
  // resume or retry of a run through /langgraph) with the thread they belong to.
  (d) => [
    `CREATE TABLE ${d.table("pending_threads")} (
      thread_id TEXT PRIMARY KEY,
      tenant TEXT NOT NULL,
      metadata ${d.jsonType} NOT NULL,
      created_at ${d.timestampType} NOT NULL
    )`,
    `CREATE INDEX pending_threads_tenant_idx ON ${d.table("pending_threads")} (tenant, created_at)`,
    `CREATE TABLE ${d.table("thread_runs")} (
      run_id TEXT PRIMARY KEY,
      thread_id TEXT NOT NULL,
      tenant TEXT NOT NULL,
      assistant_id TEXT NOT NULL,
      metadata ${d.jsonType} NOT NULL,
      final_status TEXT,
      created_at ${d.timestampType} NOT NULL,
      updated_at ${d.timestampType} NOT NULL
    )`,
    `CREATE INDEX thread_runs_thread_idx ON ${d.table("thread_runs")} (thread_id, created_at)`,
  ],
  // 8 (write-path): the journal of Polar writes — one row per write, recorded before it is sent
  // and updated when Polar answers; also the audit trail's `polar_write` entries.
  (d) => {
    const writes = d.table("polar_writes");
    return [
      `CREATE TABLE ${writes} (
        write_id ${d.serialKeyType},
        tenant TEXT NOT NULL,
        run_id TEXT NOT NULL,
        workflow TEXT NOT NULL,
        node TEXT NOT NULL,
        action TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        customer_id TEXT,
        actor TEXT NOT NULL,
        request ${d.jsonType} NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'unknown')),
        polar_object_id TEXT,
        result ${d.jsonType},
        error TEXT,
        sent_at ${d.timestampType} NOT NULL,
        answered_at ${d.timestampType}
      )`,
      `CREATE UNIQUE INDEX polar_writes_key_idx ON ${writes} (run_id, action, idempotency_key)`,
      `CREATE INDEX polar_writes_tenant_idx ON ${writes} (tenant, sent_at, write_id)`,
      `CREATE INDEX polar_writes_customer_idx ON ${writes} (customer_id, run_id)`,
      // The audit trail finds a customer's answers too.
      `ALTER TABLE ${d.table("run_answers")} ADD COLUMN customer_id TEXT`,
      `CREATE INDEX run_answers_tenant_idx
        ON ${d.table("run_answers")} (tenant, answered_at, run_id, interrupt_id)`,
      // Checkpoint retention: when a finished run kept only its final checkpoint; and which
      // replica prunes now (one at a time).
      `ALTER TABLE ${d.table("runs")} ADD COLUMN checkpoints_pruned_at ${d.timestampType}`,
      // Who started a run: the actor of its writes when it runs with approval off.
      `ALTER TABLE ${d.table("runs")} ADD COLUMN started_by TEXT`,
      `CREATE TABLE ${d.table("maintenance_leases")} (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        expires_at ${d.timestampType} NOT NULL
      )`,
    ];
  },
];

/**
 * PostgreSQL tells every replica when a run's event log grows, when a run can be claimed, and
 * when a run is cancelled (its executing replica stops at once).
 */
function notifyTriggers(d: SqlDialect): string[] {
  const notify = d.table("polar_flows_notify");
  return [
    `CREATE FUNCTION ${notify}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_TABLE_NAME = 'run_events' THEN
        PERFORM pg_notify('${NOTIFY_CHANNEL}', TG_TABLE_SCHEMA || ' event ' || NEW.run_id);
      ELSIF NEW.status IN ('queued', 'running') AND NEW.lease_owner IS NULL THEN
        PERFORM pg_notify('${NOTIFY_CHANNEL}', TG_TABLE_SCHEMA || ' ready ' || NEW.run_id);
      ELSIF NEW.status = 'cancelled' THEN
        PERFORM pg_notify('${NOTIFY_CHANNEL}', TG_TABLE_SCHEMA || ' cancelled ' || NEW.run_id);
      END IF;
      RETURN NULL;
    END $$`,
    `CREATE TRIGGER run_events_notify AFTER INSERT ON ${d.table("run_events")}
      FOR EACH ROW EXECUTE FUNCTION ${notify}()`,
    `CREATE TRIGGER runs_notify_ready AFTER INSERT OR UPDATE OF status, lease_owner
      ON ${d.table("runs")} FOR EACH ROW EXECUTE FUNCTION ${notify}()`,
  ];
}

/** One channel for every schema; a payload is `<schema> <event|ready|cancelled> <run_id>`. */
export const NOTIFY_CHANNEL = "polar_flows";

/**
 * Brings the registry schema up to date. The caller holds the connection alone (SQLite: one
 * connection; PostgreSQL: a client under an advisory lock), and all pending steps commit together.
 */
export async function migrateRegistry(client: SqlClient): Promise<void> {
  const d = client.dialect;
  const versions = d.table("registry_migrations");
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${versions} (
      version INTEGER PRIMARY KEY,
      applied_at ${d.timestampType} NOT NULL
    )`,
  );
  await client.query(d.beginWrite);
  try {
    const [row] = await client.query<{ version: number | null }>(
      `SELECT MAX(version) AS version FROM ${versions}`,
    );
    for (let version = (row?.version ?? 0) + 1; version <= MIGRATIONS.length; version++) {
      for (const statement of MIGRATIONS[version - 1](d)) await client.query(statement);
      await client.query(`INSERT INTO ${versions} (version, applied_at) VALUES (?, ${d.now})`, [
        version,
      ]);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  }
}
