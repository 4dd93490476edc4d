import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import pg from "pg";
import { SqlRunEventLog } from "./events.ts";
import { migrateRegistry } from "./migrations.ts";
import { SqlRunRegistry } from "./registry.ts";
import { numberPlaceholders, postgresDialect, type SqlClient, type SqlDialect } from "./sql.ts";
import type { Storage } from "./types.ts";

export interface PostgresStorageOptions {
  databaseUrl: string;
  schema?: string;
  onError?: (error: Error) => void;
}

/** Checkpoints and the run registry in one schema, over one pool. */
export async function openPostgresStorage(options: PostgresStorageOptions): Promise<Storage> {
  const schema = options.schema ?? "public";
  const dialect = postgresDialect(schema);
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    application_name: "polar-flows",
    // A readiness probe must fail, not hang, while the server is unreachable.
    connectionTimeoutMillis: 5_000,
  });
  // Without a listener, an idle connection's error (server restart) would crash the process.
  pool.on("error", options.onError ?? (() => {}));
  try {
    const checkpointer = new PostgresSaver(pool, undefined, { schema });
    await migrate(pool, dialect, schema, checkpointer);
    const client = postgresClient(pool, dialect);
    let closing: Promise<void> | undefined;
    return {
      kind: "postgres",
      checkpointer,
      runs: new SqlRunRegistry(client),
      events: new SqlRunEventLog(client),
      async ping() {
        await client.query(`SELECT 1 FROM ${dialect.table("runs")} LIMIT 1`);
      },
      close() {
        closing ??= pool.end();
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
  pool: pg.Pool,
  dialect: SqlDialect,
  schema: string,
  checkpointer: PostgresSaver,
): Promise<void> {
  const lockKey = `polar-flows:migrate:${schema}`;
  const connection = await pool.connect();
  try {
    await connection.query("SELECT pg_advisory_lock(hashtext($1))", [lockKey]);
    try {
      await checkpointer.setup(); // also creates the schema
      await migrateRegistry(postgresClient(connection, dialect));
    } finally {
      await connection.query("SELECT pg_advisory_unlock(hashtext($1))", [lockKey]);
    }
  } finally {
    connection.release();
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
