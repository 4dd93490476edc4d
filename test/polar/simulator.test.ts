/** The Polar simulator, driven over HTTP through the real SDK. */
import { PolarClientError, PolarRateLimitError, PolarServerError } from "@polar-sh/sdk";
import { createPolar, errors } from "@polar-sh/sdk/2026-10";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type SimulatorHandle, startSimulator } from "../../polar/simulator/app.ts";
import {
  ADA_METER,
  ADA_USAGE_BY_ENDPOINT,
  BENEFITS,
  CUSTOMERS,
  GRACE_PERIOD_START_DAYS_AGO,
  METER,
  PRODUCTS,
  SUBSCRIPTIONS,
} from "../../polar/simulator/seed.ts";

const NOW = new Date("2026-06-15T12:00:00.000Z");
const DAY = 86_400_000;
const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";
const ada = CUSTOMERS.ada;

type Polar = ReturnType<typeof createPolar>;
type EventQuery = NonNullable<Parameters<Polar["events"]["list"]>[0]>;

let simulator: SimulatorHandle;
let polar: Polar;

beforeAll(async () => {
  simulator = await startSimulator({ now: NOW });
  polar = createPolar({ accessToken: simulator.token, baseUrl: simulator.url });
});

afterAll(async () => {
  await simulator.close();
});

beforeEach(() => {
  simulator.reset();
});

/** `events.list` is typed as a union of two pagination shapes; the simulator answers pages. */
async function events(query: EventQuery) {
  const page = await polar.events.list(query);
  if (!("total_count" in page.pagination)) throw new Error("expected page-based pagination");
  return { items: page.items, pagination: page.pagination };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

function validationLocs(error: unknown): unknown[] {
  expect(error).toBeInstanceOf(errors.HTTPValidationError);
  return (
    (error as InstanceType<typeof errors.HTTPValidationError>).error.detail?.map(
      (item) => item.loc,
    ) ?? []
  );
}

describe("customers", () => {
  it("finds seeded customers by id and by external id", async () => {
    const byExternalId = await polar.customers.getExternal(ada.externalId);
    expect(byExternalId).toMatchObject({
      id: ada.id,
      email: ada.email,
      name: ada.name,
      external_id: ada.externalId,
    });
    const byId = await polar.customers.get(CUSTOMERS.grace.id);
    expect(byId).toMatchObject({ external_id: "usr_offboard_1", name: "Grace Hopper" });
    const ida = await polar.customers.get(CUSTOMERS.ida.id);
    expect(ida.external_id).toBeNull();
  });

  it("answers 404 ResourceNotFound for unknown customers and 422 for a malformed id", async () => {
    const missing = await rejection(polar.customers.getExternal("nobody"));
    expect(missing).toBeInstanceOf(errors.ResourceNotFound);
    expect(missing).toMatchObject({
      statusCode: 404,
      error: { error: "ResourceNotFound", detail: "Not found" },
    });
    expect(await rejection(polar.customers.get(UNKNOWN_ID))).toBeInstanceOf(
      errors.ResourceNotFound,
    );
    expect(validationLocs(await rejection(polar.customers.get("not-a-uuid")))).toEqual([
      ["path", "id"],
    ]);
  });

  it("paginates with a default of 10, clamps limits above 100 and filters", async () => {
    const first = await polar.customers.list({ limit: 2 });
    expect(first.pagination).toEqual({ total_count: 9, max_page: 5 });
    const last = await polar.customers.list({ limit: 2, page: 5 });
    expect(last.items).toHaveLength(1);
    expect((await polar.customers.list({ limit: 2, page: 6 })).items).toEqual([]);
    const clamped = await polar.customers.list({ limit: 500 });
    expect(clamped.items).toHaveLength(9);
    expect(clamped.pagination.max_page).toBe(1);
    const all: string[] = [];
    for await (const customer of polar.customers.iterList({ limit: 4 })) all.push(customer.id);
    expect(new Set(all).size).toBe(9);
    expect(
      (await polar.customers.list({ email: "ADA@example.com" })).items.map((c) => c.id),
    ).toEqual([ada.id]);
    expect((await polar.customers.list({ query: "hopper" })).items.map((c) => c.id)).toEqual([
      CUSTOMERS.grace.id,
    ]);
    expect((await polar.customers.list({ active: false })).items.map((c) => c.id)).toEqual([
      CUSTOMERS.alan.id,
    ]);
    const byName = await polar.customers.list({ sorting: ["name"], limit: 100 });
    expect(byName.items[0].name).toBe("Ada Lovelace");
  });

  it("reports customer state: plan, benefits and meter balance in one answer", async () => {
    const state = await polar.customers.getStateExternal(ada.externalId);
    expect(state.active_subscriptions.map((s) => s.product_id)).toEqual([PRODUCTS.starter.id]);
    expect(state.granted_benefits.map((grant) => grant.benefit_id)).toEqual([
      BENEFITS.starterCredits.id,
    ]);
    expect(state.active_meters).toEqual([
      expect.objectContaining({ meter_id: METER.id, ...ADA_METER }),
    ]);

    const katherine = await polar.customers.getStateExternal("usr_two_subs");
    expect(katherine.active_subscriptions.map((s) => s.product_id).sort()).toEqual(
      [PRODUCTS.pro.id, PRODUCTS.storageAddon.id].sort(),
    );
    expect((await polar.customers.getState(CUSTOMERS.alan.id)).active_subscriptions).toEqual([]);
    const margaret = await polar.customers.getStateExternal("usr_cancelling");
    expect(margaret.active_subscriptions[0]).toMatchObject({ cancel_at_period_end: true });
    const barbara = await polar.customers.getStateExternal("usr_under");
    expect(barbara.active_meters[0]).toMatchObject({
      credited_units: 10_000,
      consumed_units: 2_000,
      balance: 8_000,
    });
    const linus = await polar.customers.getStateExternal("usr_on_pro");
    expect(linus.active_meters[0]).toMatchObject({
      credited_units: 100_000,
      consumed_units: 20_000,
    });
  });

  it("lists customer meters by customer and meter", async () => {
    const meters = await polar.customerMeters.list({
      external_customer_id: ada.externalId,
      meter_id: METER.id,
    });
    expect(meters.items).toHaveLength(1);
    expect(meters.items[0]).toMatchObject({ customer_id: ada.id, ...ADA_METER });
    const million = await polar.customerMeters.list({ customer_id: CUSTOMERS.edsger.id });
    expect(million.items[0]).toMatchObject({ consumed_units: 1_000_000, credited_units: 10_000 });
  });
});

describe("subscriptions and products", () => {
  it("filters and sorts subscriptions like Polar", async () => {
    const two = await polar.subscriptions.list({ external_customer_id: "usr_two_subs" });
    expect(two.items).toHaveLength(2);
    expect(
      (await polar.subscriptions.list({ active: true, limit: 100 })).pagination.total_count,
    ).toBe(9);
    expect((await polar.subscriptions.list({ active: false })).items.map((s) => s.id)).toEqual([
      SUBSCRIPTIONS.alanStarterCanceled,
    ]);
    expect((await polar.subscriptions.list({ status: ["canceled"] })).items).toHaveLength(1);
    const cancelling = await polar.subscriptions.list({ cancel_at_period_end: true, active: true });
    expect(cancelling.items.map((s) => s.id)).toEqual([SUBSCRIPTIONS.margaretProCancelling]);
    const all = await polar.subscriptions.list({ limit: 100 });
    const started = all.items.map((s) => Date.parse(s.started_at ?? ""));
    expect(started).toEqual([...started].sort((a, b) => b - a));

    const grace = await polar.subscriptions.get(SUBSCRIPTIONS.gracePro);
    expect(grace).toMatchObject({
      status: "active",
      product: { name: "Pro" },
      customer: { id: CUSTOMERS.grace.id },
    });
    const periodStart = Date.parse(grace.current_period_start);
    expect(NOW.getTime() - periodStart).toBe(GRACE_PERIOD_START_DAYS_AGO * DAY);
    const end = new Date(periodStart);
    end.setUTCMonth(end.getUTCMonth() + 1);
    expect(grace.current_period_end).toBe(end.toISOString());
  });

  it("schedules and unschedules a cancellation, and refuses ended or already cancelling ones", async () => {
    const id = SUBSCRIPTIONS.gracePro;
    const cancelled = await polar.subscriptions.update(id, {
      cancel_at_period_end: true,
      customer_cancellation_reason: "too_expensive",
      customer_cancellation_comment: "Keep my access until the end of the month",
    });
    expect(cancelled).toMatchObject({
      status: "active",
      cancel_at_period_end: true,
      ends_at: cancelled.current_period_end,
      customer_cancellation_reason: "too_expensive",
    });
    const again = await rejection(polar.subscriptions.update(id, { cancel_at_period_end: true }));
    expect(again).toBeInstanceOf(errors.SubscriptionsUpdate403Error);
    expect(again).toMatchObject({
      statusCode: 403,
      error: { error: "AlreadyCanceledSubscription" },
    });

    const restored = await polar.subscriptions.update(id, { cancel_at_period_end: false });
    expect(restored).toMatchObject({
      cancel_at_period_end: false,
      ends_at: null,
      canceled_at: null,
    });

    const ended = await rejection(
      polar.subscriptions.update(SUBSCRIPTIONS.alanStarterCanceled, { cancel_at_period_end: true }),
    );
    expect(ended).toMatchObject({
      statusCode: 403,
      error: { error: "AlreadyCanceledSubscription" },
    });
    expect(
      await rejection(polar.subscriptions.update(UNKNOWN_ID, { cancel_at_period_end: true })),
    ).toBeInstanceOf(errors.ResourceNotFound);
  });

  it("changes the product or revokes, minimally, for the other SubscriptionUpdate bodies", async () => {
    const moved = await polar.subscriptions.update(SUBSCRIPTIONS.linusPro, {
      product_id: PRODUCTS.enterpriseMonthly.id,
    });
    expect(moved).toMatchObject({ product_id: PRODUCTS.enterpriseMonthly.id, amount: 49900 });
    const archived = await rejection(
      polar.subscriptions.update(SUBSCRIPTIONS.linusPro, { product_id: PRODUCTS.legacy.id }),
    );
    expect(validationLocs(archived)).toEqual([["body", "product_id"]]);

    const revoked = await polar.subscriptions.update(SUBSCRIPTIONS.katherineStorage, {
      revoke: true,
    });
    expect(revoked).toMatchObject({ status: "canceled", cancel_at_period_end: false });
    expect(revoked.ended_at).not.toBeNull();
    const afterRevoke = await rejection(
      polar.subscriptions.update(SUBSCRIPTIONS.katherineStorage, { cancel_at_period_end: true }),
    );
    expect(afterRevoke).toMatchObject({ statusCode: 403 });
    const seats = await rejection(
      polar.subscriptions.update(SUBSCRIPTIONS.katherinePro, { seats: 3 }),
    );
    expect(validationLocs(seats)).toEqual([["body", "seats"]]);
  });

  it("validates PATCH bodies against the SubscriptionUpdate union", async () => {
    const id = SUBSCRIPTIONS.gracePro;
    const badType = await rejection(
      polar.subscriptions.update(id, { cancel_at_period_end: "yes" } as unknown as {
        cancel_at_period_end: boolean;
      }),
    );
    expect(validationLocs(badType)).toEqual([["body", "cancel_at_period_end"]]);
    const extra = await rejection(
      polar.subscriptions.update(id, { cancel_at_period_end: true, revoke: true } as unknown as {
        cancel_at_period_end: boolean;
      }),
    );
    expect(validationLocs(extra)).toEqual([["body", "revoke"]]);
    // Nothing was changed by the rejected requests.
    expect((await polar.subscriptions.get(id)).cancel_at_period_end).toBe(false);
  });

  it("lists products without archived ones on request, with ambiguous names left to the caller", async () => {
    const live = await polar.products.list({ is_archived: false, limit: 100 });
    expect(live.items.map((p) => p.name).sort()).toEqual([
      "Enterprise",
      "Enterprise",
      "Pro",
      "Starter",
      "Storage Add-on",
    ]);
    const allPro = await polar.products.list({ query: "pro", limit: 100 });
    expect(allPro.items.map((p) => [p.name, p.is_archived])).toEqual([
      ["Pro", false],
      ["Pro", true],
    ]);
    const enterprise = await polar.products.list({ query: "Enterprise", is_archived: false });
    expect(enterprise.items.map((p) => p.recurring_interval).sort()).toEqual(["month", "year"]);
    const pro = await polar.products.get(PRODUCTS.pro.id);
    expect(pro.prices[0]).toMatchObject({
      amount_type: "fixed",
      price_amount: 9900,
      price_currency: "usd",
    });
    expect((await polar.products.list({ id: [PRODUCTS.legacy.id] })).items[0].is_archived).toBe(
      true,
    );
  });
});

describe("events", () => {
  it("counts a customer's usage by name and skips Polar's system events", async () => {
    const usage = await events({
      external_customer_id: ada.externalId,
      name: "api_request",
      limit: 1,
    });
    expect(usage.pagination.total_count).toBe(15_000);
    const everything = await events({ external_customer_id: ada.externalId, limit: 100 });
    expect(everything.pagination.total_count).toBe(15_002);
    const system = await events({ customer_id: ada.id, source: "system" });
    expect(system.items.map((event) => event.name).sort()).toEqual([
      "customer.created",
      "meter.credited",
    ]);
    expect((await events({ customer_id: ada.id, meter_id: METER.id })).pagination.total_count).toBe(
      15_000,
    );
    const twoNames = await events({ customer_id: ada.id, name: ["api_request", "meter.credited"] });
    expect(twoNames.pagination.total_count).toBe(15_001);
  });

  it("filters by time window (exclusive bounds) and metadata, sorted either way", async () => {
    const split = new Date(NOW.getTime() - 7 * DAY);
    const before = await events({
      external_customer_id: ada.externalId,
      name: "api_request",
      end_timestamp: split.toISOString(),
    });
    const after = await events({
      external_customer_id: ada.externalId,
      name: "api_request",
      start_timestamp: new Date(split.getTime() - 1).toISOString(),
    });
    expect(before.pagination.total_count + after.pagination.total_count).toBe(15_000);
    expect(Math.abs(after.pagination.total_count - 3_750)).toBeLessThanOrEqual(1);
    expect(Date.parse(after.items[9].timestamp)).toBeGreaterThanOrEqual(split.getTime());

    for (const [endpoint, count] of Object.entries(ADA_USAGE_BY_ENDPOINT)) {
      const page = await events({
        external_customer_id: ada.externalId,
        metadata: { endpoint },
        limit: 100,
      });
      expect(page.pagination.total_count).toBe(count);
      expect(
        page.items.every(
          (event) => (event.metadata as Record<string, unknown>).endpoint === endpoint,
        ),
      ).toBe(true);
    }
    expect(
      (await events({ customer_id: ada.id, metadata: { tokens: 10 } })).pagination.total_count,
    ).toBe(3_000);

    const ascending = await events({
      customer_id: ada.id,
      name: "api_request",
      sorting: ["timestamp"],
      limit: 5,
    });
    const times = ascending.items.map((event) => Date.parse(event.timestamp));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times[0]).toBeGreaterThanOrEqual(NOW.getTime() - 28 * DAY);
    const fetched = await polar.events.get(ascending.items[0].id);
    expect(fetched).toMatchObject({
      id: ascending.items[0].id,
      customer: { id: ada.id },
      external_customer_id: ada.externalId,
    });
  });

  it("pages through a million events without holding them", async () => {
    const query = { external_customer_id: "usr_million", name: "api_request", limit: 100 } as const;
    const first = await events(query);
    expect(first.pagination).toEqual({ total_count: 1_000_000, max_page: 10_000 });
    const second = await events({ ...query, page: 2 });
    expect(Date.parse(second.items[0].timestamp)).toBeLessThan(
      Date.parse(first.items[99].timestamp),
    );
    const last = await events({ ...query, page: 10_000 });
    expect(last.items).toHaveLength(100);
    expect(new Set(last.items.map((event) => event.id)).size).toBe(100);
    const oldest = await events({ ...query, sorting: ["timestamp"], limit: 1 });
    expect(last.items[99].id).toBe(oldest.items[0].id);
    expect((await events({ ...query, page: 10_001 })).items).toEqual([]);
    const clamped = await events({ ...query, limit: 1000 });
    expect(clamped.items).toHaveLength(100);
    const middle = await events({ ...query, limit: 7, page: 71_429 });
    expect(middle.items).toHaveLength(7);
  });

  it("answers meter quantities per interval, within Polar's span limits", async () => {
    const start = new Date(NOW.getTime() - 30 * DAY).toISOString();
    const quantities = await polar.meters.quantities(METER.id, {
      start_timestamp: start,
      end_timestamp: NOW.toISOString(),
      interval: "day",
      external_customer_id: ada.externalId,
    });
    expect(quantities.quantities).toHaveLength(31);
    expect(quantities.total).toBe(15_000);
    expect(quantities.quantities.reduce((sum, item) => sum + item.quantity, 0)).toBe(15_000);
    const million = await polar.meters.quantities(METER.id, {
      start_timestamp: start,
      end_timestamp: NOW.toISOString(),
      interval: "day",
      customer_id: CUSTOMERS.edsger.id,
    });
    expect(million.total).toBe(1_000_000);
    // Like Polar, a point counts its whole (Monday-based) week; the series stops at the end.
    const weekly = await polar.meters.quantities(METER.id, {
      start_timestamp: start,
      end_timestamp: NOW.toISOString(),
      interval: "week",
      external_customer_id: ada.externalId,
    });
    expect(weekly.quantities.map((item) => item.timestamp)).toEqual(
      [30, 23, 16, 9, 2].map((days) => new Date(NOW.getTime() - days * DAY).toISOString()),
    );
    const tooLong = await rejection(
      polar.meters.quantities(METER.id, {
        start_timestamp: start,
        end_timestamp: NOW.toISOString(),
        interval: "hour",
      }),
    );
    expect(validationLocs(tooLong)).toEqual([["query"]]);
    const missing = await fetch(
      `${simulator.url}/v1/meters/${METER.id}/quantities?start_timestamp=${start}`,
      {
        headers: { authorization: `Bearer ${simulator.token}` },
      },
    );
    expect(missing.status).toBe(422);
    const body = (await missing.json()) as { detail: { loc: unknown[] }[] };
    expect(body.detail.map((item) => item.loc)).toEqual([
      ["query", "end_timestamp"],
      ["query", "interval"],
    ]);
  });
});

describe("event ingestion", () => {
  it("rejects a batch that breaks Polar's rules, with a loc for each problem", async () => {
    const future = new Date(NOW.getTime() + DAY).toISOString();
    const error = await rejection(
      polar.events.ingest({
        events: [
          { name: "ok", external_customer_id: ada.externalId },
          { name: "both", customer_id: ada.id, external_customer_id: ada.externalId } as never,
          { name: "x".repeat(129), external_customer_id: ada.externalId },
          { name: "future", external_customer_id: ada.externalId, timestamp: future },
          {
            name: "meta",
            external_customer_id: ada.externalId,
            metadata: { ["k".repeat(41)]: 1, empty: "", long: "v".repeat(501) },
          },
          {
            name: "too many",
            external_customer_id: ada.externalId,
            metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`key${i}`, i])),
          },
          {
            name: "nested",
            external_customer_id: ada.externalId,
            metadata: { nested: { a: 1 } } as never,
          },
          { name: "unknown", customer_id: UNKNOWN_ID },
          { name: "org", external_customer_id: ada.externalId, organization_id: UNKNOWN_ID },
          { name: "nobody" } as never,
        ],
      }),
    );
    expect(validationLocs(error)).toEqual([
      ["body", "events", 1],
      ["body", "events", 2, "name"],
      ["body", "events", 3, "timestamp"],
      ["body", "events", 4, "metadata", "k".repeat(41), "[key]"],
      ["body", "events", 4, "metadata", "empty"],
      ["body", "events", 4, "metadata", "long"],
      ["body", "events", 5, "metadata"],
      ["body", "events", 6, "metadata", "nested"],
      ["body", "events", 7, "customer_id"],
      ["body", "events", 8, "organization_id"],
      ["body", "events", 9, "customer_id"],
      ["body", "events", 9, "external_customer_id"],
    ]);
    const types = (error as InstanceType<typeof errors.HTTPValidationError>).error.detail?.map(
      (item) => item.type,
    );
    expect(types?.slice(1, 3)).toEqual(["string_too_long", "value_error"]);
    // All or nothing: the valid event was not stored either.
    expect(
      (await events({ external_customer_id: ada.externalId, name: "ok" })).pagination.total_count,
    ).toBe(0);
  });

  it("de-duplicates by external_id and links children to parents", async () => {
    const first = await polar.events.ingest({
      events: [
        {
          name: "api_request",
          external_customer_id: ada.externalId,
          external_id: "req-1",
          metadata: { endpoint: "/v1/chat" },
        },
        { name: "api_request", external_customer_id: ada.externalId, external_id: "req-2" },
        { name: "api_request", external_customer_id: ada.externalId, external_id: "req-2" },
      ],
    });
    expect(first).toEqual({ inserted: 2, duplicates: 1 });
    const retry = await polar.events.ingest({
      events: [
        { name: "api_request", external_customer_id: ada.externalId, external_id: "req-1" },
        {
          name: "llm_call",
          customer_id: ada.id,
          external_id: "req-3",
          parent_id: "req-1",
          metadata: { tokens: 42 },
        },
      ],
    });
    expect(retry).toEqual({ inserted: 1, duplicates: 1 });
    expect(
      (await events({ external_customer_id: ada.externalId, name: "api_request" })).pagination
        .total_count,
    ).toBe(15_002);

    const roots = await events({
      customer_id: ada.id,
      name: ["api_request", "llm_call"],
      depth: 0,
      limit: 1,
    });
    expect(roots.pagination.total_count).toBe(15_002);
    const parent = (
      await events({
        external_customer_id: ada.externalId,
        metadata: { endpoint: "/v1/chat" },
        limit: 1,
      })
    ).items[0];
    expect(parent).toMatchObject({
      child_count: 1,
      customer_id: null,
      external_customer_id: ada.externalId,
    });
    const children = await events({ parent_id: parent.id, depth: 1 });
    expect(children.items.map((event) => [event.name, event.parent_id])).toEqual([
      ["llm_call", parent.id],
    ]);

    const orphan = await rejection(
      polar.events.ingest({
        events: [{ name: "x", customer_id: ada.id, parent_id: "no-such-event" }],
      }),
    );
    expect(validationLocs(orphan)).toEqual([["body", "events", 0, "parent_id"]]);
  });
});

describe("checkouts and benefits", () => {
  it("creates and lists checkouts", async () => {
    const checkout = await polar.checkouts.create({
      products: [PRODUCTS.pro.id],
      customer_id: ada.id,
      success_url: "https://example.com/billing/done?checkout_id={CHECKOUT_ID}",
      metadata: { run_id: "run-42" },
    });
    expect(checkout).toMatchObject({
      status: "open",
      customer_id: ada.id,
      customer_email: ada.email,
      product_id: PRODUCTS.pro.id,
      amount: 9900,
      metadata: { run_id: "run-42" },
      success_url: `https://example.com/billing/done?checkout_id=${checkout.id}`,
    });
    expect(checkout.client_secret).toMatch(/^polar_c_/);
    expect(Date.parse(checkout.expires_at) - Date.parse(checkout.created_at)).toBe(DAY);
    expect((await fetch(checkout.url)).status).toBe(200);

    expect((await polar.checkouts.get(checkout.id)).id).toBe(checkout.id);
    expect((await polar.checkouts.list({ customer_id: ada.id })).items.map((c) => c.id)).toEqual([
      checkout.id,
    ]);
    expect(
      (await polar.checkouts.list({ external_customer_id: ada.externalId })).items,
    ).toHaveLength(1);
    expect((await polar.checkouts.list({ product_id: PRODUCTS.starter.id })).items).toHaveLength(0);
    expect((await polar.checkouts.list({ status: ["open"] })).pagination.total_count).toBe(1);
  });

  it("refuses checkouts with both customer ids or unusable products", async () => {
    const both = await rejection(
      polar.checkouts.create({
        products: [PRODUCTS.pro.id],
        customer_id: ada.id,
        external_customer_id: ada.externalId,
      }),
    );
    expect(validationLocs(both)).toEqual([["body", "external_customer_id"]]);
    const archived = await rejection(
      polar.checkouts.create({ products: [PRODUCTS.proArchived.id, UNKNOWN_ID] }),
    );
    expect(validationLocs(archived)).toEqual([
      ["body", "products", 0],
      ["body", "products", 1],
    ]);
    expect(validationLocs(await rejection(polar.checkouts.create({ products: [] })))).toEqual([
      ["body", "products"],
    ]);
    expect((await polar.checkouts.list({})).pagination.total_count).toBe(0);
  });

  it("creates benefits of the common types and validates them", async () => {
    const flag = await polar.benefits.create({
      type: "feature_flag",
      description: "Beta access",
      properties: {},
    });
    expect(flag).toMatchObject({ type: "feature_flag", description: "Beta access" });
    const credit = await polar.benefits.create({
      type: "meter_credit",
      description: "Bonus requests",
      properties: { units: 500, rollover: true, meter_id: METER.id },
    });
    expect(credit.properties).toEqual({ units: 500, rollover: true, meter_id: METER.id });
    const short = await rejection(
      polar.benefits.create({ type: "custom", description: "no", properties: {} }),
    );
    expect(validationLocs(short)).toEqual([["body", "custom", "description"]]);
    const noMeter = await rejection(
      polar.benefits.create({
        type: "meter_credit",
        description: "Credits",
        properties: { units: 1, rollover: false, meter_id: UNKNOWN_ID },
      }),
    );
    expect(validationLocs(noMeter)).toEqual([["body", "meter_credit", "properties", "meter_id"]]);
    expect((await polar.benefits.list({ type: ["feature_flag"] })).items).toHaveLength(2);
  });
});

describe("authentication, faults and control", () => {
  it("requires the bearer token", async () => {
    const anonymous = await fetch(`${simulator.url}/v1/customers/`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: "Unauthorized", detail: "Unauthorized" });
    const wrong = createPolar({ accessToken: "polar_oat_wrong", baseUrl: simulator.url });
    const error = await rejection(wrong.customers.list());
    expect(error).toBeInstanceOf(PolarClientError);
    expect((error as PolarClientError).statusCode).toBe(401);
  });

  it("has no DELETE endpoints and redirects a collection path without its slash", async () => {
    const headers = { authorization: `Bearer ${simulator.token}` };
    const deleted = await fetch(`${simulator.url}/v1/customers/${ada.id}`, {
      method: "DELETE",
      headers,
    });
    expect(deleted.status).toBe(405);
    const redirect = await fetch(`${simulator.url}/v1/customers?limit=1`, {
      headers,
      redirect: "manual",
    });
    expect(redirect.status).toBe(307);
    expect(redirect.headers.get("location")).toBe("/v1/customers/?limit=1");
  });

  it("rate-limits with a fixed window: 429, retry-after and an empty body", async () => {
    simulator.setFaults({ rateLimit: { requests: 2, windowMs: 60_000 } });
    await polar.products.list();
    await polar.products.list();
    const limited = await rejection(polar.products.list());
    expect(limited).toBeInstanceOf(PolarRateLimitError);
    expect((limited as PolarRateLimitError).retryAfter).toBe(60);
    const raw = await fetch(`${simulator.url}/v1/products/`, {
      headers: { authorization: `Bearer ${simulator.token}` },
    });
    expect(raw.status).toBe(429);
    expect(raw.headers.get("retry-after")).toBe("60");
    expect([...raw.headers.keys()].some((name) => name.startsWith("x-ratelimit"))).toBe(false);
    expect(await raw.text()).toBe("");

    simulator.setFaults({ rateLimit: { requests: 1, windowMs: 150 } });
    await polar.products.list();
    expect(await rejection(polar.products.list())).toBeInstanceOf(PolarRateLimitError);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await polar.products.list();
  });

  it("injects random 429s and 503s at seeded rates, and latency", async () => {
    simulator.setFaults({ rate503: 1 });
    const unavailable = await rejection(polar.products.list());
    expect(unavailable).toBeInstanceOf(PolarServerError);
    expect((unavailable as Error).message).toContain("503");

    async function pattern(): Promise<string> {
      simulator.setFaults({ rate503: 0, rate429: 0.5, retryAfterSeconds: 3, seed: 7 });
      let outcomes = "";
      for (let i = 0; i < 40; i++) {
        const error = await rejection(polar.products.list({ limit: 1 })).catch(() => null);
        outcomes += error === null ? "." : "x";
        if (error !== null) expect((error as PolarRateLimitError).retryAfter).toBe(3);
      }
      return outcomes;
    }
    const first = await pattern();
    const limitedShare = first.split("").filter((c) => c === "x").length / first.length;
    expect(limitedShare).toBeGreaterThan(0.25);
    expect(limitedShare).toBeLessThan(0.75);
    expect(await pattern()).toBe(first);

    simulator.setFaults({ rate429: 0, latencyMs: 120 });
    const started = performance.now();
    await polar.products.list();
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
  });

  it("logs every /v1 request with its outcome", async () => {
    simulator.clearRequests();
    await polar.customers.getExternal(ada.externalId);
    await rejection(polar.customers.getExternal("nobody"));
    await polar.events.ingest({
      events: [{ name: "api_request", external_customer_id: ada.externalId, external_id: "log-1" }],
    });
    simulator.setFaults({ rateLimit: { requests: 0, windowMs: 60_000 } });
    await rejection(
      polar.events.ingest({
        events: [{ name: "api_request", external_customer_id: ada.externalId }],
      }),
    );
    const log = simulator.requests();
    expect(log.map((entry) => [entry.method, entry.path, entry.status])).toEqual([
      ["GET", `/v1/customers/external/${ada.externalId}`, 200],
      ["GET", "/v1/customers/external/nobody", 404],
      ["POST", "/v1/events/ingest", 200],
      ["POST", "/v1/events/ingest", 429],
    ]);
    expect(log[2].body).toEqual({
      events: [{ name: "api_request", external_customer_id: ada.externalId, external_id: "log-1" }],
    });
    expect(Date.parse(log[0].at)).toBeGreaterThanOrEqual(NOW.getTime());
    simulator.clearRequests();
    expect(simulator.requests()).toEqual([]);
  });

  it("can be driven from another process through the control endpoints", async () => {
    const control = (
      path: string,
      init: RequestInit = {},
      token: string | null = simulator.token,
    ) =>
      fetch(`${simulator.url}/__simulator${path}`, {
        ...init,
        headers: {
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      });
    expect((await control("/requests", {}, null)).status).toBe(401);
    expect((await control("/requests", {}, "wrong")).status).toBe(401);

    await polar.subscriptions.update(SUBSCRIPTIONS.gracePro, { cancel_at_period_end: true });
    const logged = (await (await control("/requests")).json()) as { requests: { path: string }[] };
    expect(logged.requests.map((entry) => entry.path)).toEqual([
      `/v1/subscriptions/${SUBSCRIPTIONS.gracePro}`,
    ]);

    const settings = await control("/faults", {
      method: "POST",
      body: JSON.stringify({ rate503: 1 }),
    });
    expect(await settings.json()).toMatchObject({ rate503: 1, rate429: 0 });
    expect(await rejection(polar.products.list())).toBeInstanceOf(PolarServerError);
    expect(
      (await control("/faults", { method: "POST", body: JSON.stringify({ rate503: 2 }) })).status,
    ).toBe(422);

    const reset = await control("/reset", { method: "POST" });
    expect(await reset.json()).toEqual({ now: NOW.toISOString() });
    expect((await polar.subscriptions.get(SUBSCRIPTIONS.gracePro)).cancel_at_period_end).toBe(
      false,
    );
    expect(await (await control("/faults")).json()).toMatchObject({ rate503: 0 });
    await control("/requests/clear", { method: "POST" });
    expect(
      ((await (await control("/requests")).json()) as { requests: unknown[] }).requests,
    ).toEqual([]);
  });
});
