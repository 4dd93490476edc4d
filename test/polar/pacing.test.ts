/** The Polar budget of one token, shared fairly between the tenants that use it. */
import { describe, expect, it } from "vitest";
import { FixedWindowLimiter } from "../../polar/pacing.ts";

/** A clock that moves only when someone sleeps (on the next turn of the event loop). */
function manualClock() {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      await new Promise((resolve) => setImmediate(resolve));
      now += ms;
    },
    random: () => 0,
  };
}

describe("one token's budget, shared by tenants", () => {
  it("serves waiting tenants in turn: a backlog cannot starve a tenant with one call", async () => {
    const limiter = new FixedWindowLimiter({
      requestsPerWindow: 2,
      clock: manualClock(),
      maxWaitMs: 10 * 60_000,
    });
    const served: string[] = [];
    const call = (tenant: string) =>
      limiter.acquire({ tenant }).then(() => {
        served.push(tenant);
      });
    const calls = [
      ...Array.from({ length: 6 }, () => call("acme")),
      call("globex"),
      call("globex"),
    ];
    await Promise.all(calls);
    // Window 1: acme's first two (nobody else waited). Then one each in turn.
    expect(served).toEqual(["acme", "acme", "acme", "globex", "acme", "globex", "acme", "acme"]);
  });

  it("tells an impatient caller how long its turn is, counting the others' turns", async () => {
    const limiter = new FixedWindowLimiter({
      requestsPerWindow: 1,
      clock: manualClock(),
      maxWaitMs: 10 * 60_000,
    });
    await limiter.acquire({ tenant: "acme" });
    const queued = [limiter.acquire({ tenant: "acme" }), limiter.acquire({ tenant: "acme" })];
    // globex's first call comes right after acme's next one: the second window.
    const error = await limiter
      .acquire({ tenant: "globex", maxWaitMs: 1_000 })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "polar_rate_limited", retryAfterSeconds: 120 });
    const patient = limiter.acquire({ tenant: "globex", maxWaitMs: 150_000 });
    await Promise.all([...queued, patient]);
  });
});
