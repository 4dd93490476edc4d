/**
 * A crowd: many customers on Starter (10,000 API requests of meter credits a month), each with
 * this period's usage of the API Requests meter — most under the credits, `over` of them (spread
 * evenly through the crowd) at 120 %. For sweeps and their benchmarks: a meter with thousands of
 * customers, of whom exactly the known ones are over.
 */
import { stableUuid } from "./ids.ts";
import type { CustomerRecord, SeriesSpec, SubscriptionRecord } from "./model.ts";
import { BENEFITS, ENDPOINT_MIX, METER, PRODUCTS } from "./seed.ts";
import { addMonths, DAY_MS } from "./time.ts";

export interface CrowdSpec {
  /** How many customers. */
  customers: number;
  /** How many of them are over their credits. */
  over: number;
  /** Tells crowds apart (ids and external ids); default `crowd`. */
  key?: string;
}

/** A crowd customer's period began this long ago; their usage falls inside it. */
export const CROWD_PERIOD_DAYS_AGO = 20;
/** Usage of a customer over the credits: 120 % of Starter's 10,000. */
export const CROWD_OVER_USAGE = (BENEFITS.starterCredits.units * 6) / 5;

export interface Crowd {
  customers: CustomerRecord[];
  subscriptions: SubscriptionRecord[];
  series: SeriesSpec[];
  /** The customers over their credits, in crowd order. */
  over: { id: string; external_id: string }[];
}

export function createCrowd(now: number, spec: CrowdSpec): Crowd {
  const key = spec.key ?? "crowd";
  const periodStart = now - CROWD_PERIOD_DAYS_AGO * DAY_MS;
  const metadataCycle = ENDPOINT_MIX.flatMap(({ endpoint, tokens, share }) =>
    Array.from({ length: share }, () => ({ endpoint, tokens })),
  );
  const crowd: Crowd = { customers: [], subscriptions: [], series: [], over: [] };
  for (let index = 0; index < spec.customers; index++) {
    const id = stableUuid(`customer:${key}:${index}`);
    const externalId = `${key}_${String(index).padStart(6, "0")}`;
    // Exactly `over` customers, spread evenly: where floor(index * over / customers) steps up.
    const isOver =
      Math.floor(((index + 1) * spec.over) / spec.customers) >
      Math.floor((index * spec.over) / spec.customers);
    crowd.customers.push({
      id,
      // One second apart, so listings sorted by creation have one order.
      created_at: periodStart - 90 * DAY_MS + index * 1000,
      external_id: externalId,
      email: `${externalId}@example.com`,
      name: `Crowd customer ${index}`,
      billing_address: null,
      metadata: {},
    });
    crowd.subscriptions.push({
      id: stableUuid(`subscription:${key}:${index}`),
      created_at: addMonths(periodStart, -2),
      modified_at: null,
      customer_id: id,
      product_id: PRODUCTS.starter.id,
      status: "active",
      current_period_start: periodStart,
      current_period_end: addMonths(periodStart, 1),
      cancel_at_period_end: false,
      canceled_at: null,
      started_at: addMonths(periodStart, -2),
      ends_at: null,
      ended_at: null,
      customer_cancellation_reason: null,
      customer_cancellation_comment: null,
      metadata: {},
    });
    crowd.series.push({
      key: `${key}-${index}`,
      customer_id: id,
      count: isOver ? CROWD_OVER_USAGE : 2_000 + (index % 60) * 100,
      name: METER.eventName,
      window_start: periodStart + DAY_MS,
      window_end: now,
      metadata_cycle: metadataCycle,
    });
    if (isOver) crowd.over.push({ id, external_id: externalId });
  }
  return crowd;
}
