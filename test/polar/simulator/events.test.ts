/** The Polar simulator over HTTP through the real SDK — events: listing, filters, paging and totals. */
import { describe, expect, it } from "vitest";
import { ADA_USAGE_BY_ENDPOINT, CUSTOMERS, METER } from "../../../polar/simulator/seed.ts";
import {
  DAY,
  events,
  NOW,
  polar,
  rejection,
  simulator,
  useSimulator,
  validationLocs,
} from "./helpers.ts";

const ada = CUSTOMERS.ada;

useSimulator();

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
