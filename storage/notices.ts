import type { SqlClient, SqlDialect } from "./sql.ts";
import type { NoticeOutbox, NoticeState, OutboxNotice } from "./types.ts";

const COLUMNS =
  "notice_id, tenant, run_id, body, attempts, created_at, delivered_at, given_up_at, last_error";

interface NoticeRow {
  notice_id: string;
  tenant: string;
  run_id: string;
  body: string;
  attempts: number;
  created_at: unknown;
  delivered_at: unknown;
  given_up_at: unknown;
  last_error: string | null;
}

/** Waiting to be sent, due, and not leased to a sender right now. */
const DUE = (d: SqlDialect) =>
  `delivered_at IS NULL AND given_up_at IS NULL AND next_attempt_at <= ${d.now}
   AND (claimed_until IS NULL OR claimed_until < ${d.now})`;

/** The notice outbox over either SQL backend; see `NoticeOutbox` for the contract. */
export class SqlNoticeOutbox implements NoticeOutbox {
  readonly #client: SqlClient;
  readonly #d: SqlDialect;
  readonly #outbox: string;

  constructor(client: SqlClient) {
    this.#client = client;
    this.#d = client.dialect;
    this.#outbox = client.dialect.table("notice_outbox");
  }

  async add(notice: Pick<OutboxNotice, "notice_id" | "tenant" | "run_id" | "body">) {
    await this.#client.query(
      `INSERT INTO ${this.#outbox} (notice_id, tenant, run_id, body, next_attempt_at, created_at)
       VALUES (?, ?, ?, ?, ${this.#d.now}, ${this.#d.now})`,
      [notice.notice_id, notice.tenant, notice.run_id, notice.body],
    );
  }

  async claim(limit: number, leaseMs: number): Promise<OutboxNotice[]> {
    const d = this.#d;
    const rows = await this.#client.query<NoticeRow>(
      `UPDATE ${this.#outbox}
       SET claimed_until = ${d.nowPlus}, attempts = attempts + 1
       WHERE notice_id IN (
         SELECT notice_id FROM ${this.#outbox} WHERE ${DUE(d)}
         ORDER BY next_attempt_at, notice_id LIMIT ? ${d.skipLocked}
       ) AND ${DUE(d)}
       RETURNING ${COLUMNS}`,
      [d.duration(leaseMs), limit],
    );
    return rows
      .map((row) => this.#toNotice(row))
      .sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
  }

  async delivered(noticeId: string): Promise<void> {
    await this.#client.query(
      `UPDATE ${this.#outbox} SET delivered_at = ${this.#d.now}, claimed_until = NULL,
       last_error = NULL WHERE notice_id = ?`,
      [noticeId],
    );
  }

  async failed(noticeId: string, retryInMs: number | null, error: string): Promise<void> {
    const d = this.#d;
    if (retryInMs === null) {
      await this.#client.query(
        `UPDATE ${this.#outbox} SET given_up_at = ${d.now}, claimed_until = NULL, last_error = ?
         WHERE notice_id = ?`,
        [error, noticeId],
      );
      return;
    }
    await this.#client.query(
      `UPDATE ${this.#outbox} SET next_attempt_at = ${d.nowPlus}, claimed_until = NULL,
       last_error = ? WHERE notice_id = ?`,
      [d.duration(retryInMs), error, noticeId],
    );
  }

  async get(noticeId: string): Promise<NoticeState | null> {
    const [row] = await this.#client.query<NoticeRow>(
      `SELECT ${COLUMNS} FROM ${this.#outbox} WHERE notice_id = ?`,
      [noticeId],
    );
    if (!row) return null;
    const notice = this.#toNotice(row);
    const at = (value: unknown) => (value == null ? null : this.#d.readTimestamp(value));
    return {
      ...notice,
      delivered_at: at(row.delivered_at),
      given_up_at: at(row.given_up_at),
      last_error: row.last_error,
    };
  }

  #toNotice(row: NoticeRow): OutboxNotice {
    return {
      notice_id: row.notice_id,
      tenant: row.tenant,
      run_id: row.run_id,
      body: row.body,
      attempts: Number(row.attempts),
      created_at: this.#d.readTimestamp(row.created_at),
    };
  }
}
