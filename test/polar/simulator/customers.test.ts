/** The Polar simulator over HTTP through the real SDK — customers: lookups by id and external id, meters and state. */
import { errors } from "@polar-sh/sdk/2026-10";
import { describe, expect, it } from "vitest";
import { ADA_METER, BENEFITS, CUSTOMERS, METER, PRODUCTS } from "../../../polar/simulator/seed.ts";
import { polar, rejection, UNKNOWN_ID, useSimulator, validationLocs } from "./helpers.ts";

const ada = CUSTOMERS.ada;

useSimulator();

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
