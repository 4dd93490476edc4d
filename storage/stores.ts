/** The stores every SQL backend builds over its one client: SQLite and PostgreSQL alike. */
import { SqlAnswerLog } from "./answers.ts";
import { SqlAuditLog } from "./audit.ts";
import { SqlRunEventLog } from "./events.ts";
import { SqlNoticeOutbox } from "./notices.ts";
import { SqlPolarWriteLog } from "./polar-writes.ts";
import { SqlRunRegistry } from "./registry.ts";
import { SqlCheckpointRetention } from "./retention.ts";
import type { SqlClient } from "./sql.ts";
import { SqlThreadStore } from "./threads.ts";
import type { Storage } from "./types.ts";
import { SqlWatchStore } from "./watches.ts";
import { SqlWebhookLog } from "./webhooks.ts";

export type SqlStores = Pick<
  Storage,
  | "runs"
  | "events"
  | "answers"
  | "notices"
  | "watches"
  | "webhooks"
  | "threads"
  | "writes"
  | "audit"
  | "retention"
>;

export function sqlStores(client: SqlClient): SqlStores {
  return {
    runs: new SqlRunRegistry(client),
    events: new SqlRunEventLog(client),
    answers: new SqlAnswerLog(client),
    notices: new SqlNoticeOutbox(client),
    watches: new SqlWatchStore(client),
    webhooks: new SqlWebhookLog(client),
    threads: new SqlThreadStore(client),
    writes: new SqlPolarWriteLog(client),
    audit: new SqlAuditLog(client),
    retention: new SqlCheckpointRetention(client),
  };
}
