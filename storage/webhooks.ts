/**
 * Polar's webhook deliveries (§10): each `webhook-id` stored once, with what it caused. A
 * delivery stored but not yet processed (its receiver died) is processed again on Polar's retry;
 * one processed already is only acknowledged.
 */
import type { SqlClient, SqlDialect } from "./sql.ts";

export interface WebhookDelivery {
  webhook_id: string;
  tenant: string;
  type: string;
  received_at: string;
  processed_at: string | null;
  /** What processing the event did (remediations started, watches checked); null until then. */
  caused: unknown;
}

export interface WebhookDeliveryPage {
  deliveries: WebhookDelivery[];
  next_cursor: string | null;
}

export interface WebhookLog {
  /** Stores the delivery unless its `webhook_id` is stored already; answers the stored one. */
  receive(delivery: {
    webhook_id: string;
    tenant: string;
    type: string;
    payload: unknown;
  }): Promise<{ delivery: WebhookDelivery; first: boolean }>;
  processed(webhookId: string, caused: unknown): Promise<void>;
  /** The tenant's deliveries, newest first; `cursor` is the previous page's `next_cursor`. */
  list(tenant: string, limit: number, cursor?: string): Promise<WebhookDeliveryPage>;
}

interface DeliveryRow {
  delivery_id: number | string;
  webhook_id: string;
  tenant: string;
  type: string;
  received_at: unknown;
  processed_at: unknown;
  caused: unknown;
}

const COLUMNS = "delivery_id, webhook_id, tenant, type, received_at, processed_at, caused";

export class SqlWebhookLog implements WebhookLog {
  readonly #client: SqlClient;
  readonly #d: SqlDialect;
  readonly #table: string;

  constructor(client: SqlClient) {
    this.#client = client;
    this.#d = client.dialect;
    this.#table = client.dialect.table("webhook_deliveries");
  }

  async receive(delivery: { webhook_id: string; tenant: string; type: string; payload: unknown }) {
    const inserted = await this.#client.query<DeliveryRow>(
      `INSERT INTO ${this.#table} (webhook_id, tenant, type, payload, received_at)
       VALUES (?, ?, ?, ?, ${this.#d.now})
       ON CONFLICT (webhook_id) DO NOTHING RETURNING ${COLUMNS}`,
      [delivery.webhook_id, delivery.tenant, delivery.type, JSON.stringify(delivery.payload)],
    );
    if (inserted[0]) return { delivery: this.#toDelivery(inserted[0]), first: true };
    const [existing] = await this.#client.query<DeliveryRow>(
      `SELECT ${COLUMNS} FROM ${this.#table} WHERE webhook_id = ?`,
      [delivery.webhook_id],
    );
    if (!existing) throw new Error("webhook delivery vanished");
    return { delivery: this.#toDelivery(existing), first: false };
  }

  async processed(webhookId: string, caused: unknown): Promise<void> {
    await this.#client.query(
      `UPDATE ${this.#table} SET processed_at = ${this.#d.now}, caused = ? WHERE webhook_id = ?`,
      [JSON.stringify(caused), webhookId],
    );
  }

  async list(tenant: string, limit: number, cursor?: string): Promise<WebhookDeliveryPage> {
    const before = cursor === undefined ? null : Number(cursor);
    const rows = await this.#client.query<DeliveryRow>(
      `SELECT ${COLUMNS} FROM ${this.#table}
       WHERE tenant = ? ${before === null || !Number.isSafeInteger(before) ? "" : "AND delivery_id < ?"}
       ORDER BY delivery_id DESC LIMIT ?`,
      before === null || !Number.isSafeInteger(before)
        ? [tenant, limit + 1]
        : [tenant, before, limit + 1],
    );
    const page = rows.slice(0, limit);
    return {
      deliveries: page.map((row) => this.#toDelivery(row)),
      next_cursor: rows.length > limit ? String(page[page.length - 1]!.delivery_id) : null,
    };
  }

  #toDelivery(row: DeliveryRow): WebhookDelivery {
    const d = this.#d;
    return {
      webhook_id: row.webhook_id,
      tenant: row.tenant,
      type: row.type,
      received_at: d.readTimestamp(row.received_at),
      processed_at: row.processed_at == null ? null : d.readTimestamp(row.processed_at),
      caused: d.readJson(row.caused),
    };
  }
}
