/** Polar gateway against the simulator over HTTP — retries, pacing, response checks, cancellation. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PolarGatewayError } from "../../../polar/errors.ts";
import { PolarGateway } from "../../../polar/gateway.ts";
import { FixedWindowLimiter } from "../../../polar/pacing.ts";
import { CUSTOMERS, METER, PRODUCTS } from "../../../polar/simulator/seed.ts";
import { gatewayFor, recordingClock, requestsTo } from "../../helpers/polar.ts";

import { last30Days, polar, simulator, useGateway } from "./helpers.ts";

useGateway();

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
