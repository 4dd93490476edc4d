import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import pg from "pg";
import { FencedCheckpointer } from "./fenced.ts";
import { migrateRegistry, NOTIFY_CHANNEL } from "./migrations.ts";
import { isStoreUnavailable } from "./outage.ts";
import {
  ConnectionWatch,
  DATABASE_CONNECT_TIMEOUT_MS,
  DATABASE_STATEMENT_TIMEOUT_MS,
} from "./pg-connections.ts";
import { fenceLease } from "./registry.ts";
import { numberPlaceholders, postgresDialect, type SqlClient, type SqlDialect } from "./sql.ts";
import { sqlStores } from "./stores.ts";
import type { ConnectionNotice, Storage, StoreChange } from "./types.ts";

export interface PostgresStorageOptions {
  databaseUrl: string;
  schema?: string;
  /** Bound on every statement of the run path (default `DATABASE_STATEMENT_TIMEOUT_MS`). */
  statementTimeoutMs?: number;
  onConnection?: (notice: ConnectionNotice) => void;
}

/** At start-up, how long to keep trying a database that does not answer (restarting, failing over). */
const START_WAIT_MS = 30_000;

/** Checkpoints and the run registry in one schema, over one pool. */
export async function openPostgresStorage(options: PostgresStorageOptions): Promise<Storage> {
  const schema = options.schema ?? "public";
  const dialect = postgresDialect(schema);
  const statementTimeoutMs = options.statementTimeoutMs ?? DATABASE_STATEMENT_TIMEOUT_MS;
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    application_name: "polar-flows",
    // A readiness probe, a request or a lease renewal must fail, not hang, while the server is
    // unreachable or slow: connecting and every statement are bounded.
    connectionTimeoutMillis: Math.min(DATABASE_CONNECT_TIMEOUT_MS, statementTimeoutMs),
    statement_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs,
  });
  // Without listeners, a lost connection (server restart) would crash the process.
  const watch = new ConnectionWatch(options.onConnection);
  watch.watchPool(pool);
  // Notifications this process caused itself are not news to it.
  const ownBackends = new Set<number>();
  pool.on("connect", (connection) => ownBackends.add(backendPid(connection)));
  pool.on("remove", (connection) => ownBackends.delete(backendPid(connection)));
  try {
    const checkpointer = new PostgresSaver(watch.pool(pool, "checkpoint"), undefined, { schema });
    await untilAnswered(() => migrate(options.databaseUrl, watch, dialect, schema));
    const client = postgresClient(pool, dialect);
    const listener = new ChangeListener(options.databaseUrl, schema, ownBackends, watch);
    let closing: Promise<void> | undefined;
    return {
      kind: "postgres",
      checkpointer,
      fencedCheckpointer: (leaseMs) =>
        new FencedCheckpointer(
          checkpointer,
          (lease, step) =>
            new PostgresSaver(
              fencingPool(pool, watch, (connection) =>
                fenceLease(postgresClient(connection, dialect), lease, leaseMs, step),
              ),
              undefined,
              { schema },
            ),
        ),
      watch: (onChange) => listener.add(onChange),
      ...sqlStores(client),
      async ping() {
        await client.query(`SELECT 1 FROM ${dialect.table("runs")} LIMIT 1`);
      },
      close() {
        closing ??= (async () => {
          await listener.close();
          await pool.end();
        })();
        return closing;
      },
    };
  } catch (error) {
    await pool.end();
    throw error;
  }
}

/**
 * Replicas start at the same time; neither PostgresSaver.setup() nor CREATE TABLE is safe to race,
 * so both run under one advisory lock per schema.
 */
async function migrate(
  databaseUrl: string,
  watch: ConnectionWatch,
  dialect: SqlDialect,
  schema: string,
): Promise<void> {
  const lockKey = `polar-flows:migrate:${schema}`;
  // Waiting for another replica's migration may take longer than any run-path statement may:
  // connections of its own, without the statement timeouts.
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    application_name: "polar-flows-migrate",
    connectionTimeoutMillis: DATABASE_CONNECT_TIMEOUT_MS,
    max: 2,
  });
  watch.watchPool(pool);
  try {
    await migrateOn(pool, watch, dialect, schema, lockKey);
  } finally {
    await pool.end();
  }
}

async function migrateOn(
  pool: pg.Pool,
  watch: ConnectionWatch,
  dialect: SqlDialect,
  schema: string,
  lockKey: string,
): Promise<void> {
  const connection = await watch.checkout(pool, "migration");
  const saver = new PostgresSaver(watch.pool(pool, "migration"), undefined, { schema });
  try {
    await connection.query("SELECT pg_advisory_lock(hashtext($1))", [lockKey]);
    try {
      await saver.setup(); // also creates the schema
      await migrateRegistry(postgresClient(connection, dialect));
    } finally {
      // A lost connection has let go of the lock already.
      await connection.query("SELECT pg_advisory_unlock(hashtext($1))", [lockKey]).catch(() => {});
    }
  } finally {
    connection.release();
  }
}

/** Tries `attempt` again while the database does not answer, up to `START_WAIT_MS`. */
async function untilAnswered(attempt: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + START_WAIT_MS;
  for (let delay = 250; ; delay = Math.min(delay * 2, 4_000)) {
    try {
      return await attempt();
    } catch (error) {
      if (!isStoreUnavailable(error) || Date.now() + delay > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

function postgresClient(db: pg.Pool | pg.PoolClient, dialect: SqlDialect): SqlClient {
  const texts = new Map<string, string>();
  return {
    dialect,
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
      let text = texts.get(sql);
      if (text === undefined) {
        text = numberPlaceholders(sql);
        texts.set(sql, text);
      }
      const result = await db.query(text, params as unknown[]);
      return result.rows as Row[];
    },
  };
}

/**
 * A pool for one checkpoint write. PostgresSaver opens its transaction with BEGIN; the lease
 * fence runs right after it, in that transaction, and its row lock on the run lasts until the
 * write commits — so no claim can take the run over between the check and the write. A saver
 * that sent anything else first would write unfenced: that is refused, loudly.
 */
function fencingPool(
  pool: pg.Pool,
  watch: ConnectionWatch,
  fence: (connection: pg.PoolClient) => Promise<void>,
): pg.Pool {
  const connect = async () => {
    const connection = await watch.checkout(pool, "checkpoint");
    let fenced = false;
    return {
      async query(text: string, params?: unknown[]) {
        if (!fenced && text !== "BEGIN" && text !== "ROLLBACK") {
          throw new Error("a fenced checkpoint write must start with BEGIN");
        }
        const result = await connection.query(text, params);
        if (text === "BEGIN") {
          await fence(connection);
          fenced = true;
        }
        return result;
      },
      release: (error?: Error | boolean) => connection.release(error),
    };
  };
  return { connect } as unknown as pg.Pool;
}

function backendPid(connection: pg.PoolClient): number {
  return (connection as unknown as { processID: number }).processID;
}

/** How long to wait before listening again after the connection dropped. */
const RELISTEN_DELAY_MS = 1_000;

/**
 * One connection per process that LISTENs for the triggers' notifications (migration 3) and
 * hands this schema's to the watchers. Opened with the first watcher; after a drop it listens
 * again and tells the watchers to re-read (`resync`), since notifications sent meanwhile are lost.
 */
class ChangeListener {
  readonly #databaseUrl: string;
  readonly #schema: string;
  readonly #ownBackends: ReadonlySet<number>;
  readonly #watch: ConnectionWatch;
  readonly #watchers = new Set<(change: StoreChange) => void>();
  #connection: pg.Client | null = null;
  #retry: NodeJS.Timeout | undefined;
  #started = false;
  #closed = false;

  constructor(
    databaseUrl: string,
    schema: string,
    ownBackends: ReadonlySet<number>,
    watch: ConnectionWatch,
  ) {
    this.#databaseUrl = databaseUrl;
    this.#schema = schema;
    this.#ownBackends = ownBackends;
    this.#watch = watch;
  }

  add(watcher: (change: StoreChange) => void): () => void {
    this.#watchers.add(watcher);
    if (!this.#started) {
      this.#started = true;
      void this.#listen();
    }
    return () => this.#watchers.delete(watcher);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const connection = this.#connection;
    this.#connection = null;
    await connection?.end().catch(() => {});
  }

  #emit(change: StoreChange): void {
    for (const watcher of this.#watchers) watcher(change);
  }

  async #listen(): Promise<void> {
    this.#retry = undefined;
    if (this.#closed) return;
    const connection = new pg.Client({
      connectionString: this.#databaseUrl,
      application_name: "polar-flows-listen",
      connectionTimeoutMillis: DATABASE_CONNECT_TIMEOUT_MS,
    });
    connection.on("notification", (message) => {
      if (message.channel !== NOTIFY_CHANNEL || this.#ownBackends.has(message.processId)) return;
      const [schema, kind, runId] = (message.payload ?? "").split(" ");
      if (schema !== this.#schema || !runId) return;
      if (kind === "event" || kind === "ready" || kind === "cancelled") {
        this.#emit({ kind, run_id: runId });
      }
    });
    const dropped = (error?: Error) => {
      if (this.#connection !== connection) return;
      this.#connection = null;
      if (error) this.#watch.lost("listen", error);
      void connection.end().catch(() => {});
      if (!this.#closed) this.#retry = setTimeout(() => void this.#listen(), RELISTEN_DELAY_MS);
    };
    connection.on("error", dropped);
    connection.on("end", () => dropped());
    try {
      await connection.connect();
      await connection.query(`LISTEN ${NOTIFY_CHANNEL}`);
    } catch {
      // Still away (the loss was reported when it happened): try again in a moment.
      await connection.end().catch(() => {});
      if (!this.#closed) this.#retry = setTimeout(() => void this.#listen(), RELISTEN_DELAY_MS);
      return;
    }
    if (this.#closed) {
      await connection.end().catch(() => {});
      return;
    }
    this.#connection = connection;
    this.#watch.answered();
    this.#emit({ kind: "resync" });
  }
}
