/**
 * The transport's read and write paths and its views, through the simulator over HTTP: a
 * write that Polar may have applied is never repeated blindly; views share one connection.
 */
import { describe, expect, it } from "vitest";
import { PolarGatewayError } from "../../polar/errors.ts";
import { CUSTOMERS, SUBSCRIPTIONS } from "../../polar/simulator/seed.ts";
import { gatewayFor, requestsTo } from "../helpers/polar.ts";
import { polar, simulator, useGateway } from "./gateway/helpers.ts";

useGateway();

const event = { name: "api_request", external_customer_id: CUSTOMERS.ada.externalId };

describe("writes", () => {
  it("does not repeat a write Polar may have applied: no external_id, one POST on a 503", async () => {
    simulator.setFaults({ rate503: 1 });
    const error = await polar.ingestEvents([event]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PolarGatewayError);
    expect((error as PolarGatewayError).code).toBe("polar_unavailable");
    expect(requestsTo(simulator, "POST", "/v1/events/ingest")).toHaveLength(1);
  });

  it("repeats a write Polar de-duplicates: with an external_id, every attempt of the policy", async () => {
    simulator.setFaults({ rate503: 1 });
    const error = await polar
      .ingestEvents([{ ...event, external_id: "evt-dedup" }])
      .catch((caught: unknown) => caught);
    expect((error as PolarGatewayError).code).toBe("polar_unavailable");
    expect(requestsTo(simulator, "POST", "/v1/events/ingest")).toHaveLength(5);
  });

  it("repeats a write Polar refused unread (429) until it goes through", async () => {
    simulator.setFaults({ rate429: 0.5, retryAfterSeconds: 1, seed: 3 });
    const retried: string[] = [];
    const patient = gatewayFor(simulator, {
      retryPolicy: { maxAttempts: 20 },
      onRetry: ({ operation }) => retried.push(operation),
    });
    for (let i = 0; i < 6; i++) {
      expect(await patient.ingestEvents([event])).toEqual({ inserted: 1, duplicates: 0 });
    }
    const posts = requestsTo(simulator, "POST", "/v1/events/ingest");
    expect(posts.filter((post) => post.status === 429).length).toBeGreaterThan(0);
    expect(posts.filter((post) => post.status === 200)).toHaveLength(6);
    expect(retried.every((operation) => operation === "events.ingest")).toBe(true);
  });

  it("repeats a cancellation PATCH after a 503: setting the flag again changes nothing", async () => {
    simulator.setFaults({ rate503: 0.5, seed: 7 });
    const flaky = gatewayFor(simulator, { retryPolicy: { maxAttempts: 30 } });
    const result = await flaky.scheduleCancellation(SUBSCRIPTIONS.gracePro);
    expect(["scheduled", "already_scheduled"]).toContain(result.status);
    if (result.status === "not_found") throw new Error("unreachable");
    expect(result.subscription.cancel_at_period_end).toBe(true);
    const patches = requestsTo(simulator, "PATCH", `/v1/subscriptions/${SUBSCRIPTIONS.gracePro}`);
    // The seed makes at least one PATCH fail, so the repeat is exercised.
    expect(patches.length).toBeGreaterThan(1);
    expect(patches.filter((patch) => patch.status === 200)).toHaveLength(1);
  });
});

describe("views", () => {
  it("an impatient view shares the budget and the count, and fails at once past the budget", async () => {
    let now = 0;
    const clock = {
      now: () => now,
      sleep: async (ms: number) => {
        now += ms;
      },
      random: () => 0,
    };
    const paced = gatewayFor(simulator, { requestsPerMinute: 1, clock });
    await paced.getCustomer({ id: CUSTOMERS.ada.id });
    const impatient = paced.impatient(1_000);
    const error = (await impatient
      .getCustomer({ id: CUSTOMERS.ada.id })
      .catch((caught: unknown) => caught)) as PolarGatewayError;
    expect(error.code).toBe("polar_rate_limited");
    expect(error.retryAfterSeconds).toBe(60);
    expect(now).toBe(0);
    // The patient gateway waits for the next window instead; both count on one counter.
    await paced.getCustomer({ id: CUSTOMERS.ada.id });
    expect(now).toBe(60_000);
    expect(impatient.requestCount).toBe(2);
    expect(paced.requestCount).toBe(2);
  });

  it("a view for a run without a signal is the gateway itself", () => {
    expect(polar.withSignal(undefined)).toBe(polar);
    expect(polar.withSignal(new AbortController().signal)).not.toBe(polar);
  });
});
