import { describe, expect, it } from "vitest";
import { PolarGatewayError } from "../../../polar/errors.ts";
import {
  ADA_METER,
  ADA_USAGE_BY_ENDPOINT,
  CUSTOMERS,
  METER,
  PRODUCTS,
  SUBSCRIPTIONS,
} from "../../../polar/simulator/seed.ts";
import { gatewayFor, requestsTo } from "../../helpers/polar.ts";

import { last30Days, polar, simulator, useGateway } from "./helpers.ts";

useGateway();

describe("customers", () => {
  it("resolves a customer by Polar id and by external id", async () => {
    const byExternal = await polar.getCustomer({ external_id: "external_usr_881" });
    expect(byExternal).toMatchObject({
      id: CUSTOMERS.ada.id,
      email: "ada@example.com",
      name: "Ada Lovelace",
    });
    const byId = await polar.getCustomer({ id: CUSTOMERS.ada.id });
    expect(byId?.external_id).toBe("external_usr_881");
  });

  it("answers null for an unknown customer, by id and by external id", async () => {
    expect(await polar.getCustomer({ external_id: "nobody_here" })).toBeNull();
    expect(await polar.getCustomer({ id: "00000000-0000-4000-8000-000000000000" })).toBeNull();
    expect(await polar.getCustomerState({ external_id: "nobody_here" })).toBeNull();
  });

  it("refuses a reference with both ids, or neither, before sending anything", async () => {
    const refs = [
      { id: CUSTOMERS.ada.id, external_id: "external_usr_881" },
      {},
      { id: "not-a-uuid" },
    ];
    for (const ref of refs) {
      const error = await polar.getCustomer(ref as never).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PolarGatewayError);
      expect((error as PolarGatewayError).code).toBe("invalid_request");
      expect((error as PolarGatewayError).issues[0]?.path).toMatch(/^customer/);
    }
    expect(simulator.requests()).toHaveLength(0);
  });

  it("reads customer state: active subscriptions and meter credits in one request", async () => {
    const state = await polar.getCustomerState({ external_id: "external_usr_881" });
    expect(state?.active_subscriptions.map((subscription) => subscription.id)).toEqual([
      SUBSCRIPTIONS.adaStarter,
    ]);
    expect(state?.active_meters).toEqual([
      expect.objectContaining({ meter_id: METER.id, ...ADA_METER }),
    ]);
    expect(simulator.requests()).toHaveLength(1);
  });
});

describe("subscriptions", () => {
  it("lists only active subscriptions", async () => {
    const two = await polar.listActiveSubscriptions(CUSTOMERS.katherine.id);
    expect(two.map((subscription) => subscription.id).sort()).toEqual(
      [SUBSCRIPTIONS.katherinePro, SUBSCRIPTIONS.katherineStorage].sort(),
    );
    expect(await polar.listActiveSubscriptions(CUSTOMERS.alan.id)).toEqual([]);
  });

  it("schedules a cancellation; a repeat is refused by Polar (403) and reported already scheduled", async () => {
    const first = await polar.scheduleCancellation(SUBSCRIPTIONS.gracePro, {
      reason: "too_expensive",
      comment: "c",
    });
    expect(first.status).toBe("scheduled");
    if (first.status === "not_found") throw new Error("unreachable");
    expect(first.subscription).toMatchObject({ cancel_at_period_end: true, status: "active" });
    const second = await polar.scheduleCancellation(SUBSCRIPTIONS.gracePro);
    expect(second.status).toBe("already_scheduled");
    const patches = requestsTo(simulator, "PATCH", "/v1/subscriptions/");
    expect(patches.map((patch) => patch.status)).toEqual([200, 403]);
    expect(patches[0]?.body).toEqual({
      cancel_at_period_end: true,
      customer_cancellation_reason: "too_expensive",
      customer_cancellation_comment: "c",
    });
  });

  it("two cancellations of one subscription at once: one PATCH wins, the other is already scheduled", async () => {
    simulator.setFaults({ latencyMs: 20 });
    try {
      const both = await Promise.all([
        polar.scheduleCancellation(SUBSCRIPTIONS.gracePro),
        polar.scheduleCancellation(SUBSCRIPTIONS.gracePro),
      ]);
      expect(both.map((result) => result.status).sort()).toEqual([
        "already_scheduled",
        "scheduled",
      ]);
      const patches = requestsTo(simulator, "PATCH", "/v1/subscriptions/");
      expect(patches.map((patch) => patch.status).sort()).toEqual([200, 403]);
    } finally {
      simulator.setFaults({ latencyMs: 0 });
    }
  });

  it("reports an already cancelling subscription (Polar refuses the PATCH) and an unknown one", async () => {
    expect((await polar.scheduleCancellation(SUBSCRIPTIONS.margaretProCancelling)).status).toBe(
      "already_scheduled",
    );
    expect((await polar.scheduleCancellation("00000000-0000-4000-8000-000000000000")).status).toBe(
      "not_found",
    );
    expect(requestsTo(simulator, "PATCH", "/v1/").map((patch) => patch.status)).toEqual([403, 404]);
  });
});

describe("products", () => {
  it("finds a product by exact name, case-insensitively, ignoring archived ones", async () => {
    const lookup = await polar.findProduct({ name: "pro" });
    expect(lookup).toEqual({
      status: "found",
      product: expect.objectContaining({ id: PRODUCTS.pro.id }),
    });
  });

  it("reports ambiguous and unknown names, never a guess", async () => {
    const ambiguous = await polar.findProduct({ name: "Enterprise" });
    expect(ambiguous.status).toBe("ambiguous");
    if (ambiguous.status !== "ambiguous") throw new Error("unreachable");
    expect(ambiguous.candidates.map((product) => product.id).sort()).toEqual(
      [PRODUCTS.enterpriseMonthly.id, PRODUCTS.enterpriseYearly.id].sort(),
    );
    expect(await polar.findProduct({ name: "Legacy" })).toEqual({ status: "not_found" });
    expect(await polar.findProduct({ name: "Star" })).toEqual({ status: "not_found" });
  });

  it("finds a product by id, and not an unknown id", async () => {
    expect((await polar.findProduct({ id: PRODUCTS.starter.id })).status).toBe("found");
    expect(await polar.findProduct({ id: "00000000-0000-4000-8000-000000000000" })).toEqual({
      status: "not_found",
    });
  });
});

describe("usage", () => {
  it("sums raw events page by page, grouped, skipping system events", async () => {
    const sum = await polar.sumEventUsage({
      customerId: CUSTOMERS.ada.id,
      eventName: METER.eventName,
      window: last30Days(),
      groupBy: "endpoint",
    });
    expect(sum).toMatchObject({ source: "events", total: 15_000, events: 15_000, pages: 150 });
    expect(sum.by_group).toEqual(ADA_USAGE_BY_ENDPOINT);
    const lists = requestsTo(simulator, "GET", "/v1/events/");
    expect(lists).toHaveLength(150);
    expect(
      lists.every(
        (request) => request.query.limit === "100" && request.query.name === METER.eventName,
      ),
    ).toBe(true);
  });

  it("sums a numeric metadata property", async () => {
    const sum = await polar.sumEventUsage({
      customerId: CUSTOMERS.ada.id,
      eventName: METER.eventName,
      window: last30Days(),
      sumProperty: "tokens",
    });
    expect(sum.total).toBe(7_000 * 2 + 5_000 * 5 + 3_000 * 10);
  });

  it("reads meter quantities in one request", async () => {
    const sum = await polar.sumMeterUsage({
      meterId: METER.id,
      customerId: CUSTOMERS.ada.id,
      window: last30Days(),
    });
    expect(sum).toMatchObject({ source: "meter", total: 15_000 });
    expect(simulator.requests()).toHaveLength(1);
  });

  it("reads meter credits of a customer", async () => {
    const meters = await polar.listCustomerMeters(CUSTOMERS.ada.id, METER.id);
    expect(meters).toEqual([expect.objectContaining(ADA_METER)]);
  });

  it("keeps exact totals through a 429 storm: no page lost or counted twice", async () => {
    simulator.setFaults({ rate429: 0.3, retryAfterSeconds: 1, seed: 7 });
    const retries: number[] = [];
    const stormy = gatewayFor(simulator, {
      retryPolicy: { maxAttempts: 12 },
      onRetry: ({ attempt }) => retries.push(attempt),
    });
    const sum = await stormy.sumEventUsage({
      customerId: CUSTOMERS.ada.id,
      eventName: METER.eventName,
      window: last30Days(),
      groupBy: "endpoint",
    });
    expect(sum.total).toBe(15_000);
    expect(sum.by_group).toEqual(ADA_USAGE_BY_ENDPOINT);
    expect(sum.pages).toBe(150);
    const rejected = simulator.requests().filter((request) => request.status === 429).length;
    expect(rejected).toBeGreaterThan(20);
    expect(retries).toHaveLength(rejected);
  });
});
