/**
 * Connection losses on PostgreSQL, handled in one place. node-postgres emits `'error'` on a
 * client whose connection dies; with no listener that is an uncaught exception, and the pool
 * listens only while a client is idle. So every connection gets a listener for its whole life,
 * each checked-out connection knows its role (for the log), and one that failed while out goes
 * back to the pool as broken (`release(error)`), to be replaced rather than reused.
 */
import type pg from "pg";
import { errorCode } from "./outage.ts";
import type { ConnectionNotice, ConnectionRole } from "./types.ts";

/**
 * How long opening a connection may take before it fails: the bound on how long a request waits
 * for an unreachable database before it answers 503 (readiness, /v1), and on each reconnect.
 */
export const DATABASE_CONNECT_TIMEOUT_MS = 5_000;

/**
 * How long any statement on the run path may take, by the server's clock (`statement_timeout`)
 * and by ours (`query_timeout`, which also ends a wait on a network that drops packets): shorter
 * than the time a replica goes on without renewing its leases (docs/writes.md).
 */
export const DATABASE_STATEMENT_TIMEOUT_MS = 5_000;

export class ConnectionWatch {
  readonly #notify: (notice: ConnectionNotice) => void;
  readonly #roles = new WeakMap<pg.ClientBase, ConnectionRole>();
  /** The first error of each connection that failed; a dying connection reports several. */
  readonly #failures = new WeakMap<pg.ClientBase, Error>();
  #outage: { since: number; lost: Map<ConnectionRole, number> } | null = null;

  constructor(notify: (notice: ConnectionNotice) => void = () => {}) {
    this.#notify = notify;
  }

  /** Every connection `pool` opens is watched from its first moment, idle or checked out. */
  watchPool(pool: pg.Pool): void {
    pool.on("connect", (client) => {
      this.watch(client, "pool");
      this.answered();
    });
    // An idle connection's loss was reported by its own listener; the pool drops it anyway.
    pool.on("error", () => {});
  }

  /** Reports the connection's loss (once), as the role it has at that moment. */
  watch(client: pg.ClientBase, role: ConnectionRole): void {
    this.#roles.set(client, role);
    client.on("error", (error: Error) => {
      if (this.#failures.has(client)) return;
      this.#failures.set(client, error);
      this.lost(this.#roles.get(client) ?? role, error);
    });
  }

  /** A pool connection for `role`; its `release()` hands it back as broken if it failed meanwhile. */
  async checkout(pool: pg.Pool, role: ConnectionRole): Promise<pg.PoolClient> {
    const client = await pool.connect();
    this.#roles.set(client, role);
    const release = client.release;
    const query = client.query;
    // A statement that timed out may still answer later: that connection is not reused.
    let timedOut: Error | undefined;
    client.query = (async (...args: Parameters<pg.PoolClient["query"]>) => {
      try {
        return await (query as (...a: unknown[]) => Promise<unknown>).apply(client, args);
      } catch (error) {
        if (error instanceof Error && /timeout/i.test(error.message)) timedOut = error;
        throw error;
      }
    }) as pg.PoolClient["query"];
    client.release = (error?: Error | boolean) => {
      this.#roles.set(client, "pool");
      client.query = query;
      client.release = release;
      release(error || timedOut || this.#failures.get(client));
    };
    return client;
  }

  /**
   * The pool as `role` sees it — `connect` and `query` only, which is what PostgresSaver uses:
   * its transactions and reads are reported as that role's.
   */
  pool(pool: pg.Pool, role: ConnectionRole): pg.Pool {
    const connect = () => this.checkout(pool, role);
    const query = async (text: string, params?: unknown[]) => {
      const client = await connect();
      try {
        const result = await client.query(text, params);
        client.release();
        return result;
      } catch (error) {
        // As pg's own pool.query does: a connection whose query failed is not reused.
        client.release(error as Error);
        throw error;
      }
    };
    return { connect, query } as unknown as pg.Pool;
  }

  /** A connection of `role` was lost: the first of its role in this outage is told. */
  lost(role: ConnectionRole, error: Error): void {
    this.#outage ??= { since: Date.now(), lost: new Map() };
    const count = this.#outage.lost.get(role) ?? 0;
    this.#outage.lost.set(role, count + 1);
    if (count === 0) {
      this.#notify({ kind: "lost", role, code: errorCode(error), message: error.message });
    }
  }

  /** A new connection succeeded: the outage, if there was one, is over. */
  answered(): void {
    const outage = this.#outage;
    if (outage === null) return;
    this.#outage = null;
    this.#notify({
      kind: "back",
      downMs: Date.now() - outage.since,
      lost: Object.fromEntries(outage.lost),
    });
  }
}
