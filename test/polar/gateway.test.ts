import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PolarGatewayError } from "../../polar/errors.ts";
import { CHECKOUT_KEY_FIELD, PolarGateway } from "../../polar/gateway.ts";
import { FixedWindowLimiter } from "../../polar/pacing.ts";
import {
  ADA_METER,
  ADA_USAGE_BY_ENDPOINT,
  CUSTOMERS,
  METER,
  PRODUCTS,
  SUBSCRIPTIONS,
} from "../../polar/simulator/seed.ts";
import {
  gatewayFor,
  recordingClock,
  requestsTo,
  startTestPolar,
  type TestSimulator,
} from "../helpers/polar.ts";

const DAY_MS = 86_400_000;
let simulator: TestSimulator;
let polar: PolarGateway;

beforeAll(async () => {
  ({ simulator, gateway: polar } = await startTestPolar());
});
afterAll(() => simulator.close());
beforeEach(() => {
  simulator.reset();
  simulator.clearRequests();
});

function last30Days() {
  const end = new Date();
  return { start: new Date(end.getTime() - 30 * DAY_MS), end };
}

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

  it("schedules a cancellation once; a repeat sends no PATCH", async () => {
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
    expect(patches).toHaveLength(1);
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

  it("leaves an already cancelling subscription alone and reports an unknown one", async () => {
    expect((await polar.scheduleCancellation(SUBSCRIPTIONS.margaretProCancelling)).status).toBe(
      "already_scheduled",
    );
    expect((await polar.scheduleCancellation("00000000-0000-4000-8000-000000000000")).status).toBe(
      "not_found",
    );
    expect(requestsTo(simulator, "PATCH", "/v1/")).toHaveLength(0);
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

describe("retry budget", () => {
  it("ends in a typed retryable error when Polar stays unavailable", async () => {
    simulator.setFaults({ rate503: 1 });
    const { clock, waits } = recordingClock();
    const error = await gatewayFor(simulator, { clock })
      .getCustomer({ external_id: "external_usr_881" })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PolarGatewayError);
    expect((error as PolarGatewayError).toJSON()).toMatchObject({
      code: "polar_unavailable",
      retryable: true,
    });
    expect(simulator.requests()).toHaveLength(5);
    // Four back-offs, growing, jittered: about 3 s in all before the caller hears of it.
    expect(waits).toHaveLength(4);
    expect(waits.reduce((sum, wait) => sum + wait, 0)).toBeLessThanOrEqual(3_000);
  });

  it("ends in polar_rate_limited with the wait when 429s do not stop", async () => {
    simulator.setFaults({ rate429: 1, retryAfterSeconds: 2 });
    const error = (await polar
      .getCustomer({ external_id: "external_usr_881" })
      .catch((e: unknown) => e)) as PolarGatewayError;
    expect(error.code).toBe("polar_rate_limited");
    expect(error.retryable).toBe(true);
    expect(error.retryAfterSeconds).toBe(2);
  });

  it("does not retry a retry-after longer than the policy allows", async () => {
    simulator.setFaults({ rate429: 1, retryAfterSeconds: 3600 });
    const error = (await polar
      .getCustomer({ external_id: "external_usr_881" })
      .catch((e: unknown) => e)) as PolarGatewayError;
    expect(error.code).toBe("polar_rate_limited");
    expect(simulator.requests()).toHaveLength(1);
  });

  it("does not retry other 4xx and carries Polar's detail", async () => {
    const error = (await polar
      .findOrCreateCheckout({
        key: "k",
        customerId: CUSTOMERS.ada.id,
        productId: PRODUCTS.legacy.id,
      })
      .catch((e: unknown) => e)) as PolarGatewayError;
    expect(error.code).toBe("polar_rejected");
    expect(error.status).toBe(422);
    expect(error.retryable).toBe(false);
    expect(requestsTo(simulator, "POST", "/v1/checkouts/")).toHaveLength(1);
  });
});

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

describe("pacing", () => {
  it("keeps to its fixed window and refuses waits longer than allowed", async () => {
    let now = 60_000 * 10 + 59_000;
    const slept: number[] = [];
    const clock = {
      now: () => now,
      sleep: async (ms: number) => {
        slept.push(ms);
        now += ms;
      },
      random: () => 0,
    };
    const limiter = new FixedWindowLimiter({ requestsPerWindow: 3, clock });
    for (let i = 0; i < 3; i++) await limiter.acquire();
    expect(slept).toEqual([]);
    await limiter.acquire();
    expect(slept).toEqual([1_000]);

    const strict = new FixedWindowLimiter({ requestsPerWindow: 1, clock, maxWaitMs: 500 });
    await strict.acquire();
    const error = (await strict.acquire().catch((e: unknown) => e)) as PolarGatewayError;
    expect(error.code).toBe("polar_rate_limited");
    expect(error.retryAfterSeconds).toBe(60);
  });

  it("paces the gateway's real calls: past the budget a call waits for the next window", async () => {
    let now = 0;
    const slept: number[] = [];
    const clock = {
      now: () => now,
      sleep: async (ms: number) => {
        slept.push(ms);
        now += ms;
      },
      random: () => 0,
    };
    const paced = gatewayFor(simulator, { requestsPerMinute: 2, clock });
    for (let i = 0; i < 5; i++) await paced.getCustomer({ external_id: "external_usr_881" });
    expect(paced.requestCount).toBe(5);
    expect(slept).toEqual([60_000, 60_000]);
  });
});

describe("response checks", () => {
  let server: Server;
  let baseUrl: string;
  beforeAll(async () => {
    server = createServer((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ id: 42, email: null }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("fails loudly, naming the fields, when Polar's answer drifts", async () => {
    const drifted = new PolarGateway({ accessToken: "t", baseUrl });
    const error = (await drifted
      .getCustomer({ external_id: "x" })
      .catch((e: unknown) => e)) as PolarGatewayError;
    expect(error.code).toBe("polar_invalid_response");
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/customers\.getExternal.*id/);
  });
});

describe("cancellation", () => {
  it("sends nothing more once the run's signal is aborted: a long sum stops at the next page", async () => {
    const controller = new AbortController();
    const forRun = polar.withSignal(controller.signal);
    const before = polar.requestCount;
    const sum = forRun.sumEventUsage({
      customerId: CUSTOMERS.edsger.id,
      eventName: METER.eventName,
      window: last30Days(),
    });
    const watcher = setInterval(() => {
      if (requestsTo(simulator, "GET", "/v1/events/").length >= 3) controller.abort();
    }, 1);
    const error = (await sum.catch((caught: unknown) => caught)) as Error;
    clearInterval(watcher);
    expect(error.name).toBe("AbortError");
    expect(requestsTo(simulator, "GET", "/v1/events/").length).toBeLessThan(20);
    // The run's view counts on the gateway's own counter.
    expect(polar.requestCount - before).toBeGreaterThanOrEqual(3);
  });
});
