/**
 * The audit trail (DESIGN §11): people's answers (`run_answers`) and Polar writes
 * (`polar_writes`), oldest first. Each table is read by keyset on its own index and the two are
 * merged here, so a page costs two index range scans and an export of any length runs in
 * constant memory. Nothing here is ever pruned.
 */
import type { SqlClient, SqlDialect } from "./sql.ts";
import { type AuditEntry, type AuditLog, type AuditQuery, InvalidCursorError } from "./types.ts";

/** Where a page ended in each table: `[at, run_id, interrupt_id]` and `[at, write_id]`. */
interface Position {
  answer: [string, string, string] | null;
  write: [string, number] | null;
}

type Row = Record<string, unknown>;

export class SqlAuditLog implements AuditLog {
  readonly #client: SqlClient;
  readonly #d: SqlDialect;

  constructor(client: SqlClient) {
    this.#client = client;
    this.#d = client.dialect;
  }

  async page(query: AuditQuery): Promise<{ entries: AuditEntry[]; next_cursor: string | null }> {
    const after = query.cursor ? decodeCursor(query.cursor) : { answer: null, write: null };
    const take = query.limit + 1;
    const [answers, writes] = await Promise.all([
      query.kind === "polar_write" ? [] : this.#answers(query, after.answer, take),
      query.kind === "answer" ? [] : this.#writes(query, after.write, take),
    ]);
    const entries: (AuditEntry & { key: string[] })[] = [];
    const position: Position = { ...after };
    let a = 0;
    let w = 0;
    while (entries.length < query.limit && (a < answers.length || w < writes.length)) {
      const answer = answers[a];
      const write = writes[w];
      if (answer && (!write || answer.at <= write.at)) {
        entries.push(answer);
        position.answer = [answer.at, answer.key[0]!, answer.key[1]!];
        a++;
      } else if (write) {
        entries.push(write);
        position.write = [write.at, Number(write.key[0])];
        w++;
      }
    }
    const more = a < answers.length || w < writes.length;
    return {
      entries: entries.map(({ key: _key, ...entry }) => entry),
      next_cursor: more ? encodeCursor(position) : null,
    };
  }

  async #answers(query: AuditQuery, after: Position["answer"], limit: number) {
    const d = this.#d;
    const params: unknown[] = [query.tenant];
    const where = ["a.tenant = ?"];
    if (after) {
      // Row values: the index on (tenant, answered_at, run_id, interrupt_id) starts right there.
      where.push("(a.answered_at, a.run_id, a.interrupt_id) > (?, ?, ?)");
      params.push(...after);
    }
    this.#filters(query, "a.answered_at", "a.run_id", where, params);
    if (query.customer_id) {
      where.push(
        `(a.customer_id = ? OR a.run_id IN (SELECT run_id FROM ${d.table("polar_writes")} WHERE customer_id = ?))`,
      );
      params.push(query.customer_id, query.customer_id);
    }
    const rows = await this.#client.query<Row>(
      `SELECT a.run_id, a.interrupt_id, a.tenant, a.node, a.action, a.answered_by, a.answered_at,
         a.note, a.resume, r.workflow
       FROM ${d.table("run_answers")} a JOIN ${d.table("runs")} r ON r.run_id = a.run_id
       WHERE ${where.join(" AND ")}
       ORDER BY a.answered_at, a.run_id, a.interrupt_id LIMIT ${limit}`,
      params,
    );
    return rows.map((row) => {
      const at = d.readTimestamp(row.answered_at);
      return {
        key: [row.run_id as string, row.interrupt_id as string],
        id: `answer:${row.run_id}:${row.interrupt_id}`,
        at,
        tenant: row.tenant as string,
        run_id: row.run_id as string,
        workflow: row.workflow as string,
        kind: "answer" as const,
        action: row.action as string,
        actor: row.answered_by as string,
        detail: {
          interrupt_id: row.interrupt_id,
          node: row.node,
          ...(row.note ? { note: row.note } : {}),
          resume: d.readJson(row.resume),
        },
      };
    });
  }

  async #writes(query: AuditQuery, after: Position["write"], limit: number) {
    const d = this.#d;
    const params: unknown[] = [query.tenant];
    const where = ["tenant = ?"];
    if (after) {
      where.push("(sent_at, write_id) > (?, ?)");
      params.push(...after);
    }
    this.#filters(query, "sent_at", "run_id", where, params);
    if (query.customer_id) {
      where.push("customer_id = ?");
      params.push(query.customer_id);
    }
    const rows = await this.#client.query<Row>(
      `SELECT write_id, tenant, run_id, workflow, action, actor, status, polar_object_id,
         customer_id, request, sent_at
       FROM ${d.table("polar_writes")} WHERE ${where.join(" AND ")}
       ORDER BY sent_at, write_id LIMIT ${limit}`,
      params,
    );
    return rows.map((row) => ({
      key: [String(row.write_id)],
      id: `polar_write:${row.write_id}`,
      at: d.readTimestamp(row.sent_at),
      tenant: row.tenant as string,
      run_id: row.run_id as string,
      workflow: row.workflow as string,
      kind: "polar_write" as const,
      action: row.action as string,
      actor: row.actor as string,
      detail: {
        // `pending`: sent, no answer on record yet.
        status: row.status === "pending" ? "unknown" : row.status,
        ...(row.polar_object_id ? { polar_object_id: row.polar_object_id } : {}),
        ...(row.customer_id ? { customer_id: row.customer_id } : {}),
        request: d.readJson(row.request),
      },
    }));
  }

  #filters(query: AuditQuery, at: string, runId: string, where: string[], params: unknown[]) {
    if (query.run_id) {
      where.push(`${runId} = ?`);
      params.push(query.run_id);
    }
    if (query.since) {
      where.push(`${at} >= ?`);
      params.push(query.since);
    }
    if (query.until) {
      where.push(`${at} < ?`);
      params.push(query.until);
    }
  }
}

function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify(position)).toString("base64url");
}

function decodeCursor(cursor: string): Position {
  try {
    const position = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as Position;
    const valid =
      (position.answer === null ||
        (Array.isArray(position.answer) &&
          position.answer.length === 3 &&
          position.answer.every((part) => typeof part === "string"))) &&
      (position.write === null ||
        (typeof position.write?.[0] === "string" && Number.isSafeInteger(position.write[1]))) &&
      encodeCursor(position) === cursor;
    if (valid) return position;
  } catch {
    // not ours
  }
  throw new InvalidCursorError();
}
