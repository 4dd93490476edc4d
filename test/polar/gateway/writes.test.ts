import { describe, expect, it } from "vitest";
import type { PolarGatewayError } from "../../../polar/errors.ts";
import { CHECKOUT_KEY_FIELD } from "../../../polar/gateway.ts";
import { CUSTOMERS, PRODUCTS } from "../../../polar/simulator/seed.ts";
import { gatewayFor, requestsTo } from "../../helpers/polar.ts";

import { DAY_MS, polar, simulator, useGateway } from "./helpers.ts";

useGateway();

describe("checkouts", () => {
  it("finds or creates: repeated calls make exactly one checkout, with customer_id only", async () => {
    const params = { key: "run-123", customerId: CUSTOMERS.ada.id, productId: PRODUCTS.pro.id };
    const first = await polar.findOrCreateCheckout({
      ...params,
      successUrl: "https://example.com/done",
    });
    const second = await polar.findOrCreateCheckout(params);
    const third = await polar.findOrCreateCheckout(params);
    expect(first.created).toBe(true);
    expect([second.created, third.created]).toEqual([false, false]);
    expect(new Set([first.checkout.id, second.checkout.id, third.checkout.id]).size).toBe(1);
    const posts = requestsTo(simulator, "POST", "/v1/checkouts/");
    expect(posts).toHaveLength(1);
    expect(posts[0]?.body).toMatchObject({
      products: [PRODUCTS.pro.id],
      customer_id: CUSTOMERS.ada.id,
      metadata: { [CHECKOUT_KEY_FIELD]: "run-123" },
    });
    expect(posts[0]?.body).not.toHaveProperty("external_customer_id");
    const other = await polar.findOrCreateCheckout({ ...params, key: "run-456" });
    expect(other.created).toBe(true);
  });

  it("searches back only to createdAfter, newest first", async () => {
    const params = { customerId: CUSTOMERS.ada.id, productId: PRODUCTS.pro.id };
    for (const key of ["k1", "k2", "k3"]) await polar.findOrCreateCheckout({ ...params, key });
    const past = new Date(Date.now() - 3_600_000);
    expect(
      (await polar.findOrCreateCheckout({ ...params, key: "k1", createdAfter: past })).created,
    ).toBe(false);
    simulator.clearRequests();
    // Nothing can be that recent: the search stops at the newest checkout and creates.
    const future = new Date(Date.now() + 3_600_000);
    expect(
      (await polar.findOrCreateCheckout({ ...params, key: "k1", createdAfter: future })).created,
    ).toBe(true);
    expect(requestsTo(simulator, "GET", "/v1/checkouts/")).toHaveLength(1);
  });

  it("creates once even when 503s interrupt the find-or-create", async () => {
    simulator.setFaults({ rate503: 0.4, seed: 3 });
    const flaky = gatewayFor(simulator, { retryPolicy: { maxAttempts: 15 } });
    for (let i = 0; i < 5; i++) {
      await flaky.findOrCreateCheckout({
        key: "flaky-run",
        customerId: CUSTOMERS.ada.id,
        productId: PRODUCTS.pro.id,
      });
    }
    const created = requestsTo(simulator, "POST", "/v1/checkouts/").filter(
      (request) => request.status === 201,
    );
    expect(created).toHaveLength(1);
  });
});

describe("event ingestion", () => {
  const valid = {
    name: "api_request",
    external_customer_id: "external_usr_881",
    external_id: "evt-1",
  };

  it("ingests once per external_id", async () => {
    expect(
      await polar.ingestEvents([{ ...valid, metadata: { endpoint: "/v1/chat", tokens: 3 } }]),
    ).toEqual({
      inserted: 1,
      duplicates: 0,
    });
    expect(await polar.ingestEvents([valid])).toEqual({ inserted: 0, duplicates: 1 });
  });

  it.each([
    [`events[0].metadata.${"k".repeat(41)}`, { ...valid, metadata: { ["k".repeat(41)]: "v" } }],
    ["events[0].metadata.endpoint", { ...valid, metadata: { endpoint: "x".repeat(501) } }],
    ["events[0].metadata.endpoint", { ...valid, metadata: { endpoint: "" } }],
    [
      "events[0].metadata",
      {
        ...valid,
        metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])),
      },
    ],
    ["events[0].metadata.nested", { ...valid, metadata: { nested: { a: 1 } } }],
    ["events[0].timestamp", { ...valid, timestamp: new Date(Date.now() + DAY_MS).toISOString() }],
    ["events[0].name", { ...valid, name: "n".repeat(129) }],
    ["events[0]", { ...valid, customer_id: CUSTOMERS.ada.id }],
  ])("names %s and sends nothing", async (path, event) => {
    const error = (await polar.ingestEvents([event]).catch((e: unknown) => e)) as PolarGatewayError;
    expect(error.code).toBe("invalid_request");
    expect(error.issues.map((issue) => issue.path)).toContain(path);
    expect(error.message).toContain(path);
    expect(simulator.requests()).toHaveLength(0);
  });
});
