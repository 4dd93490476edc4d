/** The Polar simulator over HTTP through the real SDK — subscriptions and products: listing, cancelling at period end, guards. */
import { errors } from "@polar-sh/sdk/2026-10";
import { describe, expect, it } from "vitest";
import {
  CUSTOMERS,
  GRACE_PERIOD_START_DAYS_AGO,
  PRODUCTS,
  SUBSCRIPTIONS,
} from "../../../polar/simulator/seed.ts";
import { DAY, NOW, polar, rejection, UNKNOWN_ID, useSimulator, validationLocs } from "./helpers.ts";

useSimulator();

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
