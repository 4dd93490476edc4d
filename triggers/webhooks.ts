/**
 * Polar's webhooks (§10): verified with the SDK's `validateEvent` over the raw body (Polar signs
 * with the UTF-8 bytes of the whole secret), stored once per `webhook-id`, then acted on. A
 * `customer.state_changed` carries the customer's meters and subscriptions, which is all a
 * watch's rule needs: no Polar request. What each delivery caused is stored with it.
 */
import { webhooks } from "@polar-sh/sdk/2026-10";
import { z } from "zod";
import { DomainError } from "../lib/errors.ts";
import { billingPeriod, measure } from "../nodes/watch-rules.ts";
import type { WatchStore, WebhookLog } from "../storage/index.ts";
import type { RemediationLedger } from "./remediations.ts";
import { sweptWatch } from "./watches.ts";

export const STATE_CHANGED = "customer.state_changed";

/** The part of a `customer.state_changed` a watch reads. */
const CustomerStateEvent = z.object({
  type: z.literal(STATE_CHANGED),
  data: z.object({
    id: z.string(),
    active_subscriptions: z.array(
      z.object({ product_id: z.string(), current_period_start: z.string() }),
    ),
    active_meters: z.array(
      z.object({ meter_id: z.string(), consumed_units: z.number(), credited_units: z.number() }),
    ),
  }),
});

/** What a `customer.state_changed` did for one watch. */
export interface WatchEffect {
  watch: string;
  outcome:
    | "started"
    | "already_started"
    | "under_threshold"
    | "no_meter"
    | "no_limit"
    | "already_on_upgrade_product"
    | "no_eligible_subscription";
  run_id?: string;
  pct?: number;
}

export interface WebhookReceipt {
  webhook_id: string;
  type: string;
  /** A repeated `webhook-id`: acknowledged, nothing done again. */
  duplicate: boolean;
  caused: { customer_id?: string; watches: WatchEffect[] } | null;
}

export interface WebhookReceiverOptions {
  secret: string;
  tenant: string;
  deliveries: WebhookLog;
  watches: WatchStore;
  ledger: RemediationLedger;
}

export class WebhookReceiver {
  readonly #options: WebhookReceiverOptions;

  constructor(options: WebhookReceiverOptions) {
    this.#options = options;
  }

  get tenant(): string {
    return this.#options.tenant;
  }

  /** Verifies, stores once, acts once. Throws `webhook_unverified` (403) with nothing stored. */
  async receive(rawBody: string, headers: Record<string, string>): Promise<WebhookReceipt> {
    let payload: { type?: unknown };
    try {
      payload = await webhooks.validateEvent(rawBody, headers, this.#options.secret);
    } catch (error) {
      if (!(error instanceof webhooks.PolarWebhookUnknownTypeError)) {
        if (error instanceof webhooks.PolarWebhookVerificationError)
          throw new DomainError(
            "webhook_unverified",
            `The webhook does not verify: ${error.message}.`,
          );
        throw new DomainError("invalid_input", "The webhook's signed body is not a Polar event.");
      }
      // Signed, but a type newer than the SDK: stored and acknowledged, never refused.
      payload = JSON.parse(rawBody) as { type?: unknown };
    }
    const webhookId = headerOf(headers, "webhook-id");
    const type = typeof payload.type === "string" ? payload.type : "unknown";
    const { deliveries } = this.#options;
    const { delivery, first } = await deliveries.receive({
      webhook_id: webhookId,
      tenant: this.#options.tenant,
      type,
      payload,
    });
    if (!first && delivery.processed_at !== null) {
      return {
        webhook_id: webhookId,
        type,
        duplicate: true,
        caused: delivery.caused as WebhookReceipt["caused"],
      };
    }
    // First arrival, or an arrival whose receiver died before finishing (acting is idempotent).
    const caused = type === STATE_CHANGED ? await this.#stateChanged(payload) : null;
    await deliveries.processed(webhookId, caused);
    return { webhook_id: webhookId, type, duplicate: !first, caused };
  }

  /** Checks the customer against every enabled watch of the tenant on one of its meters. */
  async #stateChanged(payload: unknown): Promise<WebhookReceipt["caused"]> {
    const event = CustomerStateEvent.safeParse(payload);
    if (!event.success) return { watches: [] };
    const customer = event.data.data;
    const { tenant, watches, ledger } = this.#options;
    const effects: WatchEffect[] = [];
    for (const record of await watches.list(tenant)) {
      if (!record.enabled) continue;
      const watch = sweptWatch(record);
      const meter = customer.active_meters.find((item) => item.meter_id === watch.meter_id);
      if (!meter) {
        effects.push({ watch: watch.name, outcome: "no_meter" });
        continue;
      }
      const measured = measure(watch, meter.consumed_units, meter.credited_units);
      if (!measured) {
        effects.push({ watch: watch.name, outcome: "no_limit" });
        continue;
      }
      if (!measured.over) {
        effects.push({ watch: watch.name, outcome: "under_threshold", pct: measured.pct });
        continue;
      }
      const period = billingPeriod(watch, customer.active_subscriptions);
      if ("skipped" in period) {
        effects.push({
          watch: watch.name,
          outcome: period.skipped as WatchEffect["outcome"],
          pct: measured.pct,
        });
        continue;
      }
      const { run_id, started } = await ledger.start({
        tenant,
        watch,
        customer_id: customer.id,
        period_start: period.period_start,
        source: "webhook",
      });
      effects.push({
        watch: watch.name,
        outcome: started ? "started" : "already_started",
        run_id,
        pct: measured.pct,
      });
    }
    return { customer_id: customer.id, watches: effects };
  }
}

function headerOf(headers: Record<string, string>, name: string): string {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return value;
  }
  return "";
}
