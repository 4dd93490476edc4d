/**
 * The simulator's webhooks, signed as Polar signs them (Standard Webhooks; the HMAC key is the
 * UTF-8 bytes of the whole secret): a `customer.state_changed` after ingested events change a
 * customer's meters — debounced per customer, as Polar debounces its meter recompute — POSTed
 * to one endpoint, retried a few times on failure.
 */
import { createHmac, randomUUID } from "node:crypto";
import { customerStateJson } from "./serialize.ts";
import type { SimulatorStore } from "./store.ts";
import { iso } from "./time.ts";

export interface WebhookEndpoint {
  url: string;
  /** The endpoint's secret, as Polar shows it (`polar_whs_…`); signed with as UTF-8 bytes. */
  secret: string;
  /** Quiet time after a customer's last change before its state is sent (default 2 s). */
  debounceMs?: number;
}

/** The three Standard Webhooks headers for `body`, signed the way Polar signs. */
export function signWebhook(
  secret: string,
  webhookId: string,
  body: string,
  timestampSeconds = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const signature = createHmac("sha256", Buffer.from(secret, "utf8"))
    .update(`${webhookId}.${timestampSeconds}.${body}`)
    .digest("base64");
  return {
    "webhook-id": webhookId,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": `v1,${signature}`,
  };
}

const RETRY_DELAYS_MS = [500, 2_000, 5_000];

export class WebhookSender {
  readonly #store: SimulatorStore;
  #endpoint: WebhookEndpoint | null = null;
  readonly #pending = new Map<string, NodeJS.Timeout>();
  #delivered = 0;

  constructor(store: SimulatorStore) {
    this.#store = store;
    store.onMetersChanged((customerId) => this.#changed(customerId));
  }

  /** Where to deliver (null: nowhere). */
  configure(endpoint: WebhookEndpoint | null): void {
    this.#endpoint = endpoint;
  }

  /** Deliveries that the endpoint answered with a 2xx. */
  get delivered(): number {
    return this.#delivered;
  }

  close(): void {
    for (const timer of this.#pending.values()) clearTimeout(timer);
    this.#pending.clear();
  }

  #changed(customerId: string): void {
    const endpoint = this.#endpoint;
    if (!endpoint) return;
    clearTimeout(this.#pending.get(customerId));
    const timer = setTimeout(() => {
      this.#pending.delete(customerId);
      void this.#sendState(endpoint, customerId);
    }, endpoint.debounceMs ?? 2_000);
    timer.unref();
    this.#pending.set(customerId, timer);
  }

  async #sendState(endpoint: WebhookEndpoint, customerId: string): Promise<void> {
    const customer = this.#store.customer(customerId);
    if (!customer) return;
    const body = JSON.stringify({
      type: "customer.state_changed",
      timestamp: iso(this.#store.now()),
      data: customerStateJson(this.#store, customer),
    });
    const webhookId = randomUUID();
    for (let attempt = 0; attempt <= RETRY_DELAYS_MS.length; attempt++) {
      try {
        const response = await fetch(endpoint.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "user-agent": "polar.sh webhooks",
            ...signWebhook(endpoint.secret, webhookId, body),
          },
          body,
          redirect: "manual",
          signal: AbortSignal.timeout(10_000),
        });
        if (response.ok) {
          this.#delivered += 1;
          return;
        }
      } catch {
        // Unreachable or too slow: like a failed answer, tried again.
      }
      const delay = RETRY_DELAYS_MS[attempt];
      if (delay !== undefined) await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
