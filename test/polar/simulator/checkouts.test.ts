/** The Polar simulator over HTTP through the real SDK — checkouts and benefits. */
import { describe, expect, it } from "vitest";
import { CUSTOMERS, METER, PRODUCTS } from "../../../polar/simulator/seed.ts";
import { DAY, polar, rejection, UNKNOWN_ID, useSimulator, validationLocs } from "./helpers.ts";

const ada = CUSTOMERS.ada;

useSimulator();

describe("checkouts and benefits", () => {
  it("creates and lists checkouts", async () => {
    const checkout = await polar.checkouts.create({
      products: [PRODUCTS.pro.id],
      customer_id: ada.id,
      success_url: "https://example.com/billing/done?checkout_id={CHECKOUT_ID}",
      metadata: { run_id: "run-42" },
    });
    expect(checkout).toMatchObject({
      status: "open",
      customer_id: ada.id,
      customer_email: ada.email,
      product_id: PRODUCTS.pro.id,
      amount: 9900,
      metadata: { run_id: "run-42" },
      success_url: `https://example.com/billing/done?checkout_id=${checkout.id}`,
    });
    expect(checkout.client_secret).toMatch(/^polar_c_/);
    expect(Date.parse(checkout.expires_at) - Date.parse(checkout.created_at)).toBe(DAY);
    expect((await fetch(checkout.url)).status).toBe(200);

    expect((await polar.checkouts.get(checkout.id)).id).toBe(checkout.id);
    expect((await polar.checkouts.list({ customer_id: ada.id })).items.map((c) => c.id)).toEqual([
      checkout.id,
    ]);
    expect(
      (await polar.checkouts.list({ external_customer_id: ada.externalId })).items,
    ).toHaveLength(1);
    expect((await polar.checkouts.list({ product_id: PRODUCTS.starter.id })).items).toHaveLength(0);
    expect((await polar.checkouts.list({ status: ["open"] })).pagination.total_count).toBe(1);
  });

  it("refuses checkouts with both customer ids or unusable products", async () => {
    const both = await rejection(
      polar.checkouts.create({
        products: [PRODUCTS.pro.id],
        customer_id: ada.id,
        external_customer_id: ada.externalId,
      }),
    );
    expect(validationLocs(both)).toEqual([["body", "external_customer_id"]]);
    const archived = await rejection(
      polar.checkouts.create({ products: [PRODUCTS.proArchived.id, UNKNOWN_ID] }),
    );
    expect(validationLocs(archived)).toEqual([
      ["body", "products", 0],
      ["body", "products", 1],
    ]);
    expect(validationLocs(await rejection(polar.checkouts.create({ products: [] })))).toEqual([
      ["body", "products"],
    ]);
    expect((await polar.checkouts.list({})).pagination.total_count).toBe(0);
  });

  it("creates benefits of the common types and validates them", async () => {
    const flag = await polar.benefits.create({
      type: "feature_flag",
      description: "Beta access",
      properties: {},
    });
    expect(flag).toMatchObject({ type: "feature_flag", description: "Beta access" });
    const credit = await polar.benefits.create({
      type: "meter_credit",
      description: "Bonus requests",
      properties: { units: 500, rollover: true, meter_id: METER.id },
    });
    expect(credit.properties).toEqual({ units: 500, rollover: true, meter_id: METER.id });
    const short = await rejection(
      polar.benefits.create({ type: "custom", description: "no", properties: {} }),
    );
    expect(validationLocs(short)).toEqual([["body", "custom", "description"]]);
    const noMeter = await rejection(
      polar.benefits.create({
        type: "meter_credit",
        description: "Credits",
        properties: { units: 1, rollover: false, meter_id: UNKNOWN_ID },
      }),
    );
    expect(validationLocs(noMeter)).toEqual([["body", "meter_credit", "properties", "meter_id"]]);
    expect((await polar.benefits.list({ type: ["feature_flag"] })).items).toHaveLength(2);
  });
});
