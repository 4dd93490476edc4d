/**
 * Every response shape the Polar simulator produces validates against the matching response
 * schema of Polar's own OpenAPI spec (API 2026-10), read from POLAR_OPENAPI_SPEC.
 */
import { existsSync, readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SimulatorHandle, startSimulator } from "../../polar/simulator/app.ts";
import { BENEFITS, CUSTOMERS, METER, PRODUCTS, SUBSCRIPTIONS } from "../../polar/simulator/seed.ts";

const specPath = process.env.POLAR_OPENAPI_SPEC;
const SPEC_ID = "https://polar.sh/openapi/2026-10.json";
const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";

if (!specPath) {
  console.warn("simulator-conformance: POLAR_OPENAPI_SPEC is not set, skipping the spec checks");
}

type Method = "get" | "post" | "patch";

interface Case {
  method: Method;
  /** The path as the spec declares it. */
  template: string;
  /** The concrete path and query. */
  url: string;
  status: number;
  body?: unknown;
  token?: string | null;
}

describe.skipIf(!specPath)("Polar simulator conforms to Polar's OpenAPI spec", () => {
  let simulator: SimulatorHandle;
  let ajv: InstanceType<typeof Ajv2020.default>;
  let spec: { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };

  beforeAll(async () => {
    if (!existsSync(specPath as string))
      throw new Error(`POLAR_OPENAPI_SPEC points at a missing file: ${specPath}`);
    spec = JSON.parse(readFileSync(specPath as string, "utf8"));
    ajv = new Ajv2020.default({ strict: false, allErrors: true, validateSchema: false });
    addFormats.default(ajv);
    ajv.addFormat(
      "uuid4",
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i,
    );
    ajv.addFormat("ipvanyaddress", true);
    ajv.addFormat("color", true);
    ajv.addSchema({ ...spec, $id: SPEC_ID });
    simulator = await startSimulator({ now: new Date("2026-06-15T12:00:00.000Z") });
  });

  afterAll(async () => {
    await simulator?.close();
  });

  async function call(testCase: Case): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    const token = testCase.token === undefined ? simulator.token : testCase.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const response = await fetch(`${simulator.url}${testCase.url}`, {
      method: testCase.method.toUpperCase(),
      headers,
      body: testCase.body === undefined ? undefined : JSON.stringify(testCase.body),
    });
    const text = await response.text();
    return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
  }

  function pointer(...parts: string[]): string {
    return parts.map((part) => part.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");
  }

  function expectValid(ref: string, body: unknown): void {
    const validate = ajv.getSchema(ref);
    if (!validate) throw new Error(`No schema at ${ref}`);
    const valid = validate(body);
    expect(valid, `${ref}\n${JSON.stringify(validate.errors?.slice(0, 5), null, 2)}`).toBe(true);
  }

  /** Checks the status and validates the body against the operation's declared response schema. */
  async function conforms(testCase: Case): Promise<unknown> {
    const { status, body } = await call(testCase);
    expect(
      status,
      `${testCase.method.toUpperCase()} ${testCase.url}: ${JSON.stringify(body)}`,
    ).toBe(testCase.status);
    const operation = spec.paths[testCase.template]?.[testCase.method];
    expect(operation, `the spec has ${testCase.method} ${testCase.template}`).toBeDefined();
    expect(
      operation.responses[String(testCase.status)],
      `the spec declares ${testCase.status}`,
    ).toBeDefined();
    expectValid(
      `${SPEC_ID}#/${pointer("paths", testCase.template, testCase.method, "responses", String(testCase.status), "content", "application/json", "schema")}`,
      body,
    );
    return body;
  }

  const ada = CUSTOMERS.ada;

  it("customers", async () => {
    await conforms({
      method: "get",
      template: "/v1/customers/",
      url: "/v1/customers/?limit=100",
      status: 200,
    });
    await conforms({
      method: "get",
      template: "/v1/customers/{id}",
      url: `/v1/customers/${ada.id}`,
      status: 200,
    });
    await conforms({
      method: "get",
      template: "/v1/customers/{id}",
      url: `/v1/customers/${UNKNOWN_ID}`,
      status: 404,
    });
    await conforms({
      method: "get",
      template: "/v1/customers/{id}",
      url: "/v1/customers/not-a-uuid",
      status: 422,
    });
    await conforms({
      method: "get",
      template: "/v1/customers/",
      url: "/v1/customers/?page=0",
      status: 422,
    });
    await conforms({
      method: "get",
      template: "/v1/customers/external/{external_id}",
      url: `/v1/customers/external/${ada.externalId}`,
      status: 200,
    });
    await conforms({
      method: "get",
      template: "/v1/customers/external/{external_id}",
      url: "/v1/customers/external/nobody",
      status: 404,
    });
  });

  it("customer state, for every seeded customer", async () => {
    for (const customer of Object.values(CUSTOMERS)) {
      await conforms({
        method: "get",
        template: "/v1/customers/{id}/state",
        url: `/v1/customers/${customer.id}/state`,
        status: 200,
      });
    }
    await conforms({
      method: "get",
      template: "/v1/customers/external/{external_id}/state",
      url: `/v1/customers/external/${ada.externalId}/state`,
      status: 200,
    });
    await conforms({
      method: "get",
      template: "/v1/customers/external/{external_id}/state",
      url: "/v1/customers/external/nobody/state",
      status: 404,
    });
  });

  it("subscriptions, including the cancellation answers", async () => {
    await conforms({
      method: "get",
      template: "/v1/subscriptions/",
      url: "/v1/subscriptions/?limit=100",
      status: 200,
    });
    await conforms({
      method: "get",
      template: "/v1/subscriptions/",
      url: "/v1/subscriptions/?status=nope",
      status: 422,
    });
    await conforms({
      method: "get",
      template: "/v1/subscriptions/{id}",
      url: `/v1/subscriptions/${SUBSCRIPTIONS.alanStarterCanceled}`,
      status: 200,
    });
    await conforms({
      method: "get",
      template: "/v1/subscriptions/{id}",
      url: `/v1/subscriptions/${UNKNOWN_ID}`,
      status: 404,
    });
    const cancel = {
      cancel_at_period_end: true,
      customer_cancellation_reason: "too_expensive",
      customer_cancellation_comment: "Bye",
    };
    const url = `/v1/subscriptions/${SUBSCRIPTIONS.gracePro}`;
    await conforms({
      method: "patch",
      template: "/v1/subscriptions/{id}",
      url,
      status: 200,
      body: cancel,
    });
    await conforms({
      method: "patch",
      template: "/v1/subscriptions/{id}",
      url,
      status: 403,
      body: cancel,
    });
    await conforms({
      method: "patch",
      template: "/v1/subscriptions/{id}",
      url,
      status: 422,
      body: { cancel_at_period_end: "soon" },
    });
    await conforms({
      method: "patch",
      template: "/v1/subscriptions/{id}",
      url,
      status: 200,
      body: { cancel_at_period_end: false },
    });
    await conforms({
      method: "patch",
      template: "/v1/subscriptions/{id}",
      url: `/v1/subscriptions/${SUBSCRIPTIONS.linusPro}`,
      status: 200,
      body: { product_id: PRODUCTS.enterpriseMonthly.id, metadata: { source: "test" } },
    });
    await conforms({
      method: "patch",
      template: "/v1/subscriptions/{id}",
      url: `/v1/subscriptions/${SUBSCRIPTIONS.katherineStorage}`,
      status: 200,
      body: { revoke: true, customer_cancellation_reason: "unused" },
    });
    await conforms({
      method: "patch",
      template: "/v1/subscriptions/{id}",
      url: `/v1/subscriptions/${UNKNOWN_ID}`,
      status: 404,
      body: cancel,
    });
  });

  it("products, meters and customer meters", async () => {
    await conforms({
      method: "get",
      template: "/v1/products/",
      url: "/v1/products/?limit=100",
      status: 200,
    });
    await conforms({
      method: "get",
      template: "/v1/products/{id}",
      url: `/v1/products/${PRODUCTS.proArchived.id}`,
      status: 200,
    });
    await conforms({
      method: "get",
      template: "/v1/products/{id}",
      url: `/v1/products/${UNKNOWN_ID}`,
      status: 404,
    });
    await conforms({ method: "get", template: "/v1/meters/", url: "/v1/meters/", status: 200 });
    await conforms({
      method: "get",
      template: "/v1/meters/{id}",
      url: `/v1/meters/${METER.id}`,
      status: 200,
    });
    const quantities = `/v1/meters/${METER.id}/quantities`;
    await conforms({
      method: "get",
      template: "/v1/meters/{id}/quantities",
      url: `${quantities}?start_timestamp=2026-05-16T00:00:00Z&end_timestamp=2026-06-15T00:00:00Z&interval=day&external_customer_id=${ada.externalId}`,
      status: 200,
    });
    await conforms({
      method: "get",
      template: "/v1/meters/{id}/quantities",
      url: `${quantities}?start_timestamp=2026-05-01T00:00:00Z&end_timestamp=2026-06-15T00:00:00Z&interval=hour`,
      status: 422,
    });
    await conforms({
      method: "get",
      template: "/v1/meters/{id}",
      url: `/v1/meters/${UNKNOWN_ID}`,
      status: 404,
    });
    const customerMeters = (await conforms({
      method: "get",
      template: "/v1/customer-meters/",
      url: `/v1/customer-meters/?customer_id=${ada.id}`,
      status: 200,
    })) as { items: { id: string }[] };
    await conforms({
      method: "get",
      template: "/v1/customer-meters/{id}",
      url: `/v1/customer-meters/${customerMeters.items[0].id}`,
      status: 200,
    });
    await conforms({
      method: "get",
      template: "/v1/customer-meters/",
      url: "/v1/customer-meters/?limit=100",
      status: 200,
    });
  });

  it("events: list, get and ingest", async () => {
    const ingested = await conforms({
      method: "post",
      template: "/v1/events/ingest",
      url: "/v1/events/ingest",
      status: 200,
      body: {
        events: [
          {
            name: "api_request",
            external_customer_id: ada.externalId,
            external_id: "conf-parent",
            metadata: { endpoint: "/v1/chat" },
          },
          {
            name: "llm_call",
            customer_id: ada.id,
            parent_id: "conf-parent",
            metadata: {
              _llm: {
                vendor: "openai",
                model: "gpt",
                input_tokens: 1,
                output_tokens: 2,
                total_tokens: 3,
              },
            },
          },
          { name: "api_request", external_customer_id: "someone-unknown" },
        ],
      },
    });
    expect(ingested).toEqual({ inserted: 3, duplicates: 0 });
    await conforms({
      method: "post",
      template: "/v1/events/ingest",
      url: "/v1/events/ingest",
      status: 422,
      body: {
        events: [
          { name: "x".repeat(129), customer_id: ada.id, external_customer_id: ada.externalId },
        ],
      },
    });
    const list = (await conforms({
      method: "get",
      template: "/v1/events/",
      url: `/v1/events/?customer_id=${ada.id}&limit=100&sorting=timestamp`,
      status: 200,
    })) as { items: { id: string; source: string }[] };
    await conforms({
      method: "get",
      template: "/v1/events/",
      url: "/v1/events/?limit=100",
      status: 200,
    });
    await conforms({
      method: "get",
      template: "/v1/events/",
      url: "/v1/events/?depth=9",
      status: 422,
    });
    const system = list.items.find((event) => event.source === "system");
    expect(system).toBeDefined();
    await conforms({
      method: "get",
      template: "/v1/events/{id}",
      url: `/v1/events/${system?.id}`,
      status: 200,
    });
    await conforms({
      method: "get",
      template: "/v1/events/{id}",
      url: `/v1/events/${list.items.at(-1)?.id}`,
      status: 200,
    });
    await conforms({
      method: "get",
      template: "/v1/events/{id}",
      url: `/v1/events/${UNKNOWN_ID}`,
      status: 404,
    });
  });

  it("checkouts", async () => {
    const checkout = (await conforms({
      method: "post",
      template: "/v1/checkouts/",
      url: "/v1/checkouts/",
      status: 201,
      body: {
        products: [PRODUCTS.pro.id, PRODUCTS.enterpriseYearly.id],
        customer_id: ada.id,
        success_url: "https://example.com/done?checkout_id={CHECKOUT_ID}",
        metadata: { run_id: "run-1" },
      },
    })) as { id: string };
    await conforms({
      method: "post",
      template: "/v1/checkouts/",
      url: "/v1/checkouts/",
      status: 201,
      body: { products: [PRODUCTS.starter.id], external_customer_id: "new-user" },
    });
    await conforms({
      method: "post",
      template: "/v1/checkouts/",
      url: "/v1/checkouts/",
      status: 422,
      body: {
        products: [PRODUCTS.legacy.id],
        customer_id: ada.id,
        external_customer_id: ada.externalId,
      },
    });
    await conforms({
      method: "get",
      template: "/v1/checkouts/",
      url: "/v1/checkouts/",
      status: 200,
    });
    await conforms({
      method: "get",
      template: "/v1/checkouts/{id}",
      url: `/v1/checkouts/${checkout.id}`,
      status: 200,
    });
    await conforms({
      method: "get",
      template: "/v1/checkouts/{id}",
      url: `/v1/checkouts/${UNKNOWN_ID}`,
      status: 404,
    });
  });

  it("benefits", async () => {
    await conforms({ method: "get", template: "/v1/benefits/", url: "/v1/benefits/", status: 200 });
    await conforms({
      method: "get",
      template: "/v1/benefits/{id}",
      url: `/v1/benefits/${BENEFITS.starterCredits.id}`,
      status: 200,
    });
    for (const body of [
      { type: "custom", description: "Priority support", properties: { note: "Within 4 hours" } },
      {
        type: "feature_flag",
        description: "Beta access",
        properties: {},
        metadata: { flag: "beta" },
      },
      {
        type: "meter_credit",
        description: "5,000 bonus requests",
        properties: { units: 5000, rollover: false, meter_id: METER.id },
      },
    ]) {
      await conforms({
        method: "post",
        template: "/v1/benefits/",
        url: "/v1/benefits/",
        status: 201,
        body,
      });
    }
    await conforms({
      method: "post",
      template: "/v1/benefits/",
      url: "/v1/benefits/",
      status: 422,
      body: { type: "custom", description: "x", properties: {} },
    });
  });

  it("authentication errors", async () => {
    const { status, body } = await call({
      method: "get",
      template: "",
      url: "/v1/customers/",
      status: 401,
      token: null,
    });
    expect(status).toBe(401);
    expectValid(`${SPEC_ID}#/components/schemas/Unauthorized`, body);
  });
});
