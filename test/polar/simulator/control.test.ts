/** The Polar simulator over HTTP through the real SDK — authentication, faults and the control API. */
import { PolarClientError, PolarRateLimitError, PolarServerError } from "@polar-sh/sdk";
import { createPolar } from "@polar-sh/sdk/2026-10";
import { describe, expect, it } from "vitest";
import { CUSTOMERS, SUBSCRIPTIONS } from "../../../polar/simulator/seed.ts";
import { NOW, polar, rejection, simulator, useSimulator } from "./helpers.ts";

const ada = CUSTOMERS.ada;

useSimulator();

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
