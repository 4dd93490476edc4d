import { placeholders, type SqlClient, type SqlDialect } from "./sql.ts";
import type { AnswerLog, RunAnswer } from "./types.ts";

const COLUMNS = "run_id, interrupt_id, node, kind, action, answered_by, answered_at, note, resume";

type AnswerRow = Omit<RunAnswer, "answered_at" | "resume"> & {
  answered_at: unknown;
  resume: unknown;
};

/** The answer log over either SQL backend; see `AnswerLog` for the contract. */
export class SqlAnswerLog implements AnswerLog {
  readonly #client: SqlClient;
  readonly #d: SqlDialect;
  readonly #answers: string;

  constructor(client: SqlClient) {
    this.#client = client;
    this.#d = client.dialect;
    this.#answers = client.dialect.table("run_answers");
  }

  async record(tenant: string, answer: RunAnswer): Promise<void> {
    await this.#client.query(
      `INSERT INTO ${this.#answers} (${COLUMNS}, tenant, customer_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, interrupt_id) DO NOTHING`,
      [
        answer.run_id,
        answer.interrupt_id,
        answer.node,
        answer.kind,
        answer.action,
        answer.answered_by,
        answer.answered_at,
        answer.note,
        JSON.stringify(answer.resume ?? null),
        tenant,
        answer.customer_id ?? null,
      ],
    );
  }

  async forRuns(runIds: readonly string[]): Promise<RunAnswer[]> {
    if (runIds.length === 0) return [];
    const rows = await this.#client.query<AnswerRow>(
      `SELECT ${COLUMNS} FROM ${this.#answers} WHERE run_id IN (${placeholders(runIds.length)})
       ORDER BY answered_at, interrupt_id`,
      runIds,
    );
    return rows.map((row) => ({
      ...row,
      answered_at: this.#d.readTimestamp(row.answered_at),
      resume: this.#d.readJson(row.resume),
    }));
  }
}
