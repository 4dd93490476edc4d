/**
 * `interpretRequest`: free text → workflow and input (for `POST /v1/requests`), by the model
 * over HTTP to the fake OpenAI server or by the rules, with products and the usage meter
 * resolved through the Polar simulator. A routed input then runs as is.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { interpretRequest } from "../../graphs/route-request.ts";
import { CUSTOMERS, METER, PRODUCTS } from "../../polar/simulator/seed.ts";
import { requestsTo } from "../helpers/polar.ts";
import { useLlmTests } from "./helpers.ts";

const scenario1 =
  "Customer external_usr_881 is way over their Starter plan's 10,000 API requests this month; offer them Pro.";
const scenario2 =
  "I want to cancel. Don't bill me next month, but keep my access until the end of the month.";

const routing = (fields: Record<string, unknown>) => ({
  output: {
    workflow: "unclear",
    customer_reference: null,
    current_product: null,
    upgrade_product: null,
    limit: null,
    summary: "",
    ...fields,
  },
});
const scenario1Reading = routing({
  workflow: "overage-remediation",
  customer_reference: "external_usr_881",
  current_product: "Starter",
  upgrade_product: "Pro",
  limit: 10_000,
  summary: "The customer is over the Starter plan's limit; offer Pro.",
});

const scenario1Input = {
  customer: { external_id: "external_usr_881" },
  current_product: { id: PRODUCTS.starter.id },
  upgrade_product: { id: PRODUCTS.pro.id },
  usage: { meter_id: METER.id },
  limit: 10_000,
  require_approval: true,
};

describe("interpretRequest", () => {
  const ctx = useLlmTests();

  describe.each(["model", "rules"] as const)("read by the %s", (readBy) => {
    beforeEach(() => {
      if (readBy === "rules") ctx.model = null;
      ctx.fake.script({
        request_routing: (call) =>
          call.body.messages.at(-1).content === scenario1
            ? scenario1Reading
            : routing({
                workflow: "subscription-offboarding",
                summary: "The customer wants to cancel.",
              }),
      });
    });

    it("routes Scenario 1 to overage-remediation, products and meter resolved through Polar", async () => {
      const routed = await interpretRequest(
        { request: scenario1 },
        { model: ctx.model, polar: ctx.polar },
      );
      expect(routed).toEqual({
        workflow: "overage-remediation",
        input: scenario1Input,
        interpretation: expect.objectContaining({
          read_by: readBy,
          workflow: "overage-remediation",
          customer_reference: "external_usr_881",
          current_product: "Starter",
          upgrade_product: "Pro",
          limit: 10_000,
        }),
      });
      expect(
        requestsTo(ctx.simulator, "GET", "/v1/products/")
          .map((r) => r.query.query)
          .sort(),
      ).toEqual(["Pro", "Starter"]);
      expect(ctx.fake.calls()).toHaveLength(readBy === "model" ? 1 : 0);
    });

    it("routes Scenario 2 to subscription-offboarding for the given customer", async () => {
      const routed = await interpretRequest(
        { customer: { external_id: CUSTOMERS.grace.externalId! }, request: scenario2 },
        { model: ctx.model, polar: ctx.polar },
      );
      expect(routed).toMatchObject({
        workflow: "subscription-offboarding",
        input: { customer: { external_id: "usr_offboard_1" }, request: scenario2 },
        interpretation: { read_by: readBy, workflow: "subscription-offboarding" },
      });
      expect(ctx.simulator.requests()).toHaveLength(0);
    });
  });

  it("a routed Scenario 1 runs as is: approval, then a checkout for 150% of 10,000", async () => {
    const routed = await interpretRequest(
      { request: scenario1 },
      { model: null, polar: ctx.polar },
    );
    if (!("workflow" in routed)) throw new Error(JSON.stringify(routed.missing));
    ctx.model = null;
    const { runId, result } = await ctx.runs.start(routed.workflow, routed.input);
    expect(result).toMatchObject({
      status: "interrupted",
      interrupt: { node: "approve_checkout" },
    });
    const done = await ctx.runs.resume(runId, { approved: true });
    expect(done).toMatchObject({
      status: "completed",
      output: {
        outcome: "checkout_created",
        usage: { total: 15_000, limit: 10_000, pct: 150, source: "meter" },
      },
    });
  });

  it.each([
    ["Please look into this customer's account.", "nothing"],
    ["They are over their plan and also want to cancel.", "both"],
  ])("lists the workflow as missing for an ambiguous text (%s: %s)", async (text) => {
    ctx.model = null;
    const routed = await interpretRequest(
      { customer: { external_id: "usr_offboard_1" }, request: text },
      { model: ctx.model, polar: ctx.polar },
    );
    expect(routed).toMatchObject({
      missing: [{ path: "workflow", message: expect.stringMatching(/does not say clearly/) }],
    });
  });

  it("lists the workflow as missing when the model finds the text unclear", async () => {
    ctx.fake.script({ request_routing: routing({ workflow: "unclear", summary: "Unclear." }) });
    const routed = await interpretRequest(
      { customer: { external_id: "usr_offboard_1" }, request: "Hmm." },
      { model: ctx.model, polar: ctx.polar },
    );
    expect(routed).toMatchObject({
      missing: [{ path: "workflow" }],
      interpretation: { read_by: "model" },
    });
  });

  it("never takes what the model invents: a product, customer or limit not in the text is dropped", async () => {
    ctx.fake.script({
      request_routing: routing({
        workflow: "overage-remediation",
        customer_reference: "external_usr_999",
        upgrade_product: "Enterprise Plus",
        limit: 50_000,
      }),
    });
    const text = "This customer is over their plan; offer them an upgrade.";
    const routed = await interpretRequest(
      { request: text },
      { model: ctx.model, polar: ctx.polar },
    );
    expect(routed).toMatchObject({
      interpretation: {
        customer_reference: null,
        upgrade_product: null,
        limit: null,
        dropped: [
          'customer reference "external_usr_999" is not in the text',
          'upgrade product "Enterprise Plus" is not in the text',
          "limit 50000 is not in the text",
        ],
      },
    });
    if (!("missing" in routed)) throw new Error("expected missing fields");
    expect(routed.missing.map((issue) => issue.path)).toEqual(["customer", "upgrade_product"]);
    expect(requestsTo(ctx.simulator, "GET", "/v1/products/")).toHaveLength(0);
  });

  it.each([
    ["Platinum", /no active product is named "Platinum"/],
    ["Enterprise", /2 active products are named "Enterprise" \(.+, .+\); name one by id/],
  ])("lists an upgrade product Polar does not settle (%s)", async (name, message) => {
    ctx.model = null;
    const text = `Customer external_usr_881 is over their Starter plan's 10,000 API requests; offer them ${name}.`;
    const routed = await interpretRequest(
      { request: text },
      { model: ctx.model, polar: ctx.polar },
    );
    expect(routed).toMatchObject({
      missing: [{ path: "upgrade_product", message: expect.stringMatching(message) }],
    });
  });

  it("lists usage and limit when the customer has no meter and the text states no limit", async () => {
    ctx.model = null;
    const text = "Customer usr_no_sub is way over their plan; offer them Pro.";
    const routed = await interpretRequest(
      { request: text },
      { model: ctx.model, polar: ctx.polar },
    );
    if (!("missing" in routed))
      throw new Error(`expected missing fields, got ${JSON.stringify(routed)}`);
    expect(routed.missing.map((issue) => issue.path)).toEqual(["usage", "limit"]);
  });

  it("takes the limit from the meter's credits when the text states none", async () => {
    ctx.model = null;
    const text = "Customer external_usr_881 is way over their plan; offer them Pro.";
    const routed = await interpretRequest(
      { request: text },
      { model: ctx.model, polar: ctx.polar },
    );
    expect(routed).toMatchObject({
      workflow: "overage-remediation",
      input: { usage: { meter_id: METER.id } },
    });
    expect(routed).not.toHaveProperty("input.limit");
  });

  it("lists the customer when the text names another one than the request is for", async () => {
    ctx.model = null;
    const routed = await interpretRequest(
      { customer: { external_id: "usr_offboard_1" }, request: scenario1 },
      { model: ctx.model, polar: ctx.polar },
    );
    expect(routed).toMatchObject({
      missing: [
        {
          path: "customer",
          message: expect.stringMatching(/names customer external_usr_881.*usr_offboard_1/),
        },
      ],
    });
  });

  it("lists the customer when neither the request nor the text names one", async () => {
    ctx.model = null;
    const routed = await interpretRequest(
      { request: scenario2 },
      { model: ctx.model, polar: ctx.polar },
    );
    expect(routed).toMatchObject({ missing: [{ path: "customer" }] });
  });

  it("lists an unknown customer", async () => {
    ctx.model = null;
    const text =
      "Customer nobody_42 is over their Starter plan's 10,000 API requests; offer them Pro.";
    const routed = await interpretRequest(
      { request: text },
      { model: ctx.model, polar: ctx.polar },
    );
    expect(routed).toMatchObject({
      missing: [{ path: "customer", message: "no Polar customer with external_id nobody_42" }],
    });
  });

  it("reads with the rules when the model fails, and says so", async () => {
    ctx.fake.script({ request_routing: { status: 503 } });
    const routed = await interpretRequest(
      { request: scenario1 },
      { model: ctx.model, polar: ctx.polar },
    );
    expect(routed).toMatchObject({
      workflow: "overage-remediation",
      input: scenario1Input,
      interpretation: { read_by: "rules", fallback_reason: "model server failed (503)" },
    });
    expect(ctx.fake.calls()).toHaveLength(2);
  });
});
