import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import Database from "better-sqlite3";
import { FencedCheckpointer } from "./fenced.ts";
import { migrateRegistry } from "./migrations.ts";
import { fenceLease } from "./registry.ts";
import { type SqlClient, sqliteDialect } from "./sql.ts";
import { sqlStores } from "./stores.ts";
import type { Storage } from "./types.ts";

export const SQLITE_FILE = "polar-flows.db";

/** One file in `dataDir` holds the checkpoints and the run registry, on one connection. */
export async function openSqliteStorage(dataDir: string): Promise<Storage> {
  await mkdir(dataDir, { recursive: true });
  const db = new Database(join(dataDir, SQLITE_FILE));
  try {
    db.pragma("journal_mode = WAL");
    // With WAL, NORMAL loses at most the last commits on power loss, never consistency.
    db.pragma("synchronous = NORMAL");
    const client = sqliteClient(db);
    await migrateRegistry(client);
    // better-sqlite3 is synchronous, so the saver and the registry can share the connection:
    // their statements never interleave.
    const checkpointer = new SqliteSaver(db);
    return {
      kind: "sqlite",
      checkpointer,
      // One process: the fence stops a cancelled run's writes; no other replica can take over.
      fencedCheckpointer: (leaseMs) =>
        new FencedCheckpointer(checkpointer, (lease, step) => ({
          async put(config, checkpoint, metadata) {
            await fenceLease(client, lease, leaseMs, step);
            return checkpointer.put(config, checkpoint, metadata);
          },
          async putWrites(config, writes, taskId) {
            await fenceLease(client, lease, leaseMs, null);
            return checkpointer.putWrites(config, writes, taskId);
          },
        })),
      watch: () => () => {},
      ...sqlStores(client),
      async ping() {
        await client.query("SELECT 1 FROM runs LIMIT 1");
      },
      async close() {
        if (db.open) db.close();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

function sqliteClient(db: Database.Database): SqlClient {
  const statements = new Map<string, Database.Statement>();
  return {
    dialect: sqliteDialect,
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
      let statement = statements.get(sql);
      if (!statement) {
        statement = db.prepare(sql);
        statements.set(sql, statement);
      }
      if (statement.reader) return statement.all(...params) as Row[];
      statement.run(...params);
      return [];
    },
  };
}
