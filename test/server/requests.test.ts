/**
 * `POST /v1/requests` over HTTP: free text → the right workflow as a normal run, by the rules
 * (no model configured) and by a model behind an OpenAI-compatible server on loopback.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { PRODUCTS } from "../../polar/simulator/seed.ts";
import { describeEachBackend } from "../helpers/backends.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../helpers/fake-openai.ts";
import { requestsTo } from "../helpers/polar.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const scenario1 =
  "Customer external_usr_881 is way over their Starter plan's 10,000 API requests this month; offer them Pro.";
const scenario2 =
  "I want to cancel. Don't bill me next month, but keep my access until the end of the month.";

describeEachBackend("POST /v1/requests (rules, no model)", (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend);
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.simulator.reset();
  });

  it("routes Scenario 1 to overage-remediation and starts it: the approval interrupt", async () => {
    const response = await server.call("POST", "/v1/requests", {
      body: { request: scenario1, metadata: { ticket: "T-1" } },
    });
    expect(response.status).toBe(201);
    expect(response.json).toMatchObject({
      workflow: "overage-remediation",
      status: "interrupted",
      input: {
        customer: { external_id: "external_usr_881" },
        upgrade_product: { id: PRODUCTS.pro.id },
        limit: 10_000,
      },
      interrupt: { node: "approve_checkout", message: expect.stringContaining("150%") },
      metadata: {
        ticket: "T-1",
        interpretation: { read_by: "rules", workflow: "overage-remediation" },
      },
    });
    const approved = await server.call("POST", `/v1/runs/${response.json.run_id}/resume`, {
      body: { resume: { approved: true } },
    });
    expect(approved.json).toMatchObject({
      status: "completed",
      output: { outcome: "checkout_created" },
    });
    expect(requestsTo(server.simulator, "POST", "/v1/checkouts/")).toHaveLength(1);
  });

  it("routes Scenario 2 to subscription-offboarding for the given customer", async () => {
    const response = await server.call("POST", "/v1/requests", {
      body: { customer: { external_id: "usr_offboard_1" }, request: scenario2 },
    });
    expect(response.status).toBe(201);
    expect(response.json).toMatchObject({
      workflow: "subscription-offboarding",
      status: "interrupted",
      interrupt: { node: "approve_cancellation" },
    });
  });

  it("answers 422 listing what an ambiguous text leaves open, and starts nothing", async () => {
    const before = await server.call("GET", "/v1/runs?limit=100");
    const response = await server.call("POST", "/v1/requests", {
      body: {
        customer: { external_id: "usr_offboard_1" },
        request: "Please look into this account.",
      },
    });
    expect(response.status).toBe(422);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    expect(response.json.errors.map((issue: { path: string }) => issue.path)).toContain("workflow");
    const after = await server.call("GET", "/v1/runs?limit=100");
    expect(after.json.runs).toHaveLength(before.json.runs.length);
  });

  it("refuses a reference with both customer ids (400)", async () => {
    const response = await server.call("POST", "/v1/requests", {
      body: {
        customer: { id: "00000000-0000-4000-8000-000000000000", external_id: "x" },
        request: scenario2,
      },
    });
    expect(response.status).toBe(400);
    expect(response.json.errors[0].path).toMatch(/^customer/);
  });
});

describeEachBackend("POST /v1/requests (a model on loopback)", (backend) => {
  let fake: FakeOpenAI;
  let server: TestServer;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    server = await startTestServer(backend, {
      env: {
        OPENAI_API_KEY: "sk-test-requests",
        OPENAI_BASE_URL: fake.baseUrl,
        OPENAI_MODEL: "fake-model",
      },
    });
  });
  afterAll(async () => {
    await server.close();
    await fake.close();
  });

  it("uses the model's reading, checked against the text and resolved through Polar", async () => {
    fake.script({
      request_routing: {
        output: {
          workflow: "overage-remediation",
          customer_reference: "external_usr_881",
          current_product: "Starter",
          upgrade_product: "Pro",
          limit: 10_000,
          summary: "Over the Starter limit; offer Pro.",
        },
      },
    });
    const response = await server.call("POST", "/v1/requests", { body: { request: scenario1 } });
    expect(response.status).toBe(201);
    expect(response.json.metadata.interpretation).toMatchObject({
      read_by: "model",
      workflow: "overage-remediation",
    });
    expect(fake.calls().length).toBeGreaterThanOrEqual(1);
  });

  it("a repeat with the same Idempotency-Key answers the first run: no model or Polar call", async () => {
    const reading = (summary: string) => ({
      output: {
        workflow: "overage-remediation",
        customer_reference: "external_usr_881",
        current_product: "Starter",
        upgrade_product: "Pro",
        limit: 10_000,
        summary,
      },
    });
    // A model words its summary differently each time: the key must not depend on it.
    fake.script({ request_routing: [reading("Offer Pro."), reading("Upgrade them to Pro.")] });
    const key = { "idempotency-key": `requests-${Date.now()}` };
    const body = { request: scenario1, metadata: { ticket: "T-9" } };
    const first = await server.call("POST", "/v1/requests", { body, headers: key });
    expect(first.status).toBe(201);
    const modelCalls = fake.calls().length;
    const polarCalls = server.simulator.requests().length;

    const again = await server.call("POST", "/v1/requests", {
      body: { ...body, wait: false },
      headers: key,
    });
    expect(again.status).toBe(200);
    expect(again.json.run_id).toBe(first.json.run_id);
    expect(fake.calls()).toHaveLength(modelCalls);
    expect(server.simulator.requests()).toHaveLength(polarCalls);

    const other = await server.call("POST", "/v1/requests", {
      body: { ...body, request: `${scenario1} Thanks.` },
      headers: key,
    });
    expect(other.status).toBe(422);
    expect(other.json.type).toMatch(/idempotency-key-reused$/);
    expect(fake.calls()).toHaveLength(modelCalls);
    expect(server.simulator.requests()).toHaveLength(polarCalls);
  });
});
