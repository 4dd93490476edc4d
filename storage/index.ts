import { openPostgresStorage } from "./postgres.ts";
import { openSqliteStorage } from "./sqlite.ts";
import type { Storage, StorageOptions } from "./types.ts";

export { isStoreUnavailable, STORE_UNAVAILABLE, StoreUnavailableError } from "./outage.ts";
export { SQLITE_FILE } from "./sqlite.ts";
export * from "./types.ts";
export type { RemediationClaim, WatchRecord, WatchStore, WatchWrite } from "./watches.ts";
export type { WebhookDelivery, WebhookDeliveryPage, WebhookLog } from "./webhooks.ts";

/** The service's one persistence factory: PostgreSQL with `databaseUrl`, else SQLite. */
export async function createStorage(options: StorageOptions): Promise<Storage> {
  if (options.databaseUrl === undefined || options.databaseUrl === "") {
    return openSqliteStorage(options.dataDir);
  }
  if (!/^postgres(ql)?:\/\//.test(options.databaseUrl)) {
    throw new Error("DATABASE_URL must be a postgres:// or postgresql:// URL");
  }
  return openPostgresStorage({
    databaseUrl: options.databaseUrl,
    schema: options.schema,
    statementTimeoutMs: options.statementTimeoutMs,
    onConnection: options.onConnection,
  });
}
