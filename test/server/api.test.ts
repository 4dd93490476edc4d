/**
 * The API's surface: workflows with their schemas and drawings, the OpenAPI document and its
 * UI, health, and problem+json answers to everything malformed.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { z } from "zod";
import { OverageInput } from "../../graphs/overage-remediation/state.ts";
import { describeEachBackend } from "../helpers/backends.ts";
import { OVERAGE_INPUT } from "../helpers/scenarios.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

describeEachBackend("API surface", (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend);
  });
  afterAll(() => server.close());

  const expectProblem = (
    answer: { status: number; headers: Headers; json: unknown },
    status: number,
  ) => {
    expect(answer.status).toBe(status);
    expect(answer.headers.get("content-type")).toContain("application/problem+json");
    expect(answer.json).toMatchObject({
      type: expect.any(String),
      title: expect.any(String),
      status,
      detail: expect.any(String),
    });
  };

  test("GET /v1/workflows: input schema (JSON Schema of the zod input), nodes and a mermaid drawing", async () => {
    const { status, json } = await server.call("GET", "/v1/workflows");
    expect(status).toBe(200);
    const names = json.workflows.map((workflow: { name: string }) => workflow.name);
    expect(names).toEqual(
      expect.arrayContaining(["overage-remediation", "subscription-offboarding"]),
    );
    const overage = json.workflows.find(
      (workflow: { name: string }) => workflow.name === "overage-remediation",
    );
    expect(overage.input_schema).toEqual(
      JSON.parse(JSON.stringify(z.toJSONSchema(OverageInput, { io: "input" }))),
    );
    expect(overage.input_schema.required).toEqual(
      expect.arrayContaining(["customer", "upgrade_product", "usage"]),
    );
    expect(overage.nodes).toEqual([
      "resolve_customer",
      "check_subscription",
      "sum_usage",
      "approve_checkout",
      "create_checkout",
      "draft_email",
    ]);
    expect(overage.mermaid).toContain("graph TD");
    expect(overage.mermaid).toContain("approve_checkout");
    expect(overage.description).toEqual(expect.any(String));
  });

  test("the OpenAPI 3.1 document covers the routes, from their zod schemas; Swagger UI at /docs", async () => {
    const { status, json: document } = await server.call("GET", "/openapi.json");
    expect(status).toBe(200);
    expect(document.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        "/v1/workflows",
        "/v1/workflows/{name}/runs",
        "/v1/runs",
        "/v1/runs/{run_id}",
        "/v1/runs/{run_id}/resume",
        "/v1/runs/{run_id}/cancel",
        "/v1/runs/{run_id}/checkpoints",
        "/v1/runs/{run_id}/checkpoints/{checkpoint_id}",
        "/v1/runs/{run_id}/events",
        "/healthz",
        "/readyz",
      ]),
    );
    const startRun = document.paths["/v1/workflows/{name}/runs"].post;
    expect(Object.keys(startRun.responses)).toEqual(
      expect.arrayContaining(["200", "201", "400", "404", "422"]),
    );
    const body = startRun.requestBody.content["application/json"].schema;
    expect(body.properties).toHaveProperty("input");
    expect(body.properties).toHaveProperty("wait");
    expect(body.additionalProperties).toBe(false);
    expect(startRun.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(["name", "idempotency-key"]),
    );
    expect(document.components.schemas.Run.properties).toHaveProperty("checkpoint_id");
    expect(document.components.schemas.Problem.properties).toHaveProperty("errors");

    const docs = await fetch(`${server.url}/docs`, { redirect: "follow" });
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain("swagger");
  });

  test("health: /healthz is alive, /readyz checks the store", async () => {
    expect((await server.call("GET", "/healthz")).json).toEqual({ status: "ok" });
    expect((await server.call("GET", "/readyz")).json).toEqual({ status: "ready" });
  });

  test("unknown routes and workflows are 404 problems", async () => {
    expectProblem(await server.call("GET", "/nope"), 404);
    expectProblem(await server.call("GET", "/v1/nope"), 404);
    expectProblem(await server.call("DELETE", "/v1/runs"), 404);
    expectProblem(
      await server.call("POST", "/v1/workflows/no-such-workflow/runs", { body: { input: {} } }),
      404,
    );
  });

  test("invalid input is a 400 naming the fields", async () => {
    const wrong = await server.call("POST", "/v1/workflows/overage-remediation/runs", {
      body: { input: { ...OVERAGE_INPUT, customer: { external_id: 881 }, window_days: 0 } },
    });
    expectProblem(wrong, 400);
    expect(wrong.json.errors).toEqual(
      expect.arrayContaining([
        { path: "input.customer.external_id", message: expect.any(String) },
        { path: "input.window_days", message: expect.any(String) },
      ]),
    );

    const both = await server.call("POST", "/v1/workflows/overage-remediation/runs", {
      body: {
        input: { ...OVERAGE_INPUT, customer: { id: crypto.randomUUID(), external_id: "x" } },
      },
    });
    expectProblem(both, 400);
    expect(both.json.errors[0].path).toBe("input.customer");

    const missing = await server.call("POST", "/v1/workflows/overage-remediation/runs", {
      body: {},
    });
    expectProblem(missing, 400);
    expect(missing.json.errors).toEqual([{ path: "input", message: expect.any(String) }]);

    const badQuery = await server.call("GET", "/v1/runs?limit=1000&status=done");
    expectProblem(badQuery, 400);
    expect(badQuery.json.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      "query.limit",
      "query.status",
    ]);

    const badCursor = await server.call("GET", "/v1/runs?cursor=bm90LWEtY3Vyc29y");
    expectProblem(badCursor, 400);
    expect(badCursor.json.errors).toEqual([{ path: "query.cursor", message: expect.any(String) }]);

    const badId = await server.call("GET", "/v1/runs/not-a-uuid");
    expectProblem(badId, 400);
    expect(badId.json.errors).toEqual([{ path: "params.run_id", message: expect.any(String) }]);
  });

  test("unknown fields are rejected, in the body and in the input", async () => {
    const top = await server.call("POST", "/v1/workflows/overage-remediation/runs", {
      body: { input: OVERAGE_INPUT, priority: "high" },
    });
    expectProblem(top, 400);
    expect(top.json.errors).toEqual([{ path: "priority", message: "unknown field" }]);

    const nested = await server.call("POST", "/v1/workflows/overage-remediation/runs", {
      body: { input: { ...OVERAGE_INPUT, usage: { ...OVERAGE_INPUT.usage, extra: 1 } } },
    });
    expectProblem(nested, 400);
    expect(nested.json.errors[0].path).toMatch(/^input\.usage/);
  });

  test("malformed bodies: bad JSON 400, empty JSON 400, over 64 KiB 413, not JSON 415", async () => {
    const path = "/v1/workflows/overage-remediation/runs";
    const json = { "content-type": "application/json" };
    expectProblem(await server.call("POST", path, { rawBody: '{"input": {', headers: json }), 400);
    expectProblem(await server.call("POST", path, { rawBody: "", headers: json }), 400);
    expectProblem(await server.call("POST", path, { rawBody: "[1,2", headers: json }), 400);
    expectProblem(
      await server.call("POST", path, {
        rawBody: '{"__proto__": {"admin": true}, "input": {}}',
        headers: json,
      }),
      400,
    );
    expectProblem(
      await server.call("POST", path, {
        rawBody: JSON.stringify({ input: { note: "x".repeat(70_000) } }),
        headers: json,
      }),
      413,
    );
    expectProblem(
      await server.call("POST", path, {
        rawBody: "input=1",
        headers: { "content-type": "text/plain" },
      }),
      415,
    );
    expectProblem(
      await server.call("POST", path, {
        rawBody: "input=1",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      }),
      415,
    );
    expectProblem(
      await server.call("POST", path, {
        rawBody: JSON.stringify({ input: { customer: { external_id: "a\u0000b" } } }),
        headers: json,
      }),
      400,
    );
    const deep = `{"input": {"a": ${"[".repeat(5000)}${"]".repeat(5000)}}}`;
    expectProblem(await server.call("POST", path, { rawBody: deep, headers: json }), 400);
    expectProblem(await server.call("GET", "/%E0%A4%A"), 400);
  });
  // Last: it closes the store under the running server.
  test("when the store is gone: /readyz is 503 and requests get a 500 problem without internals", async () => {
    const { json: before } = await server.call("GET", "/v1/runs?limit=1");
    expect(before.runs).toEqual(expect.any(Array));
    await server.storage.close();

    const ready = await server.call("GET", "/readyz");
    expectProblem(ready, 503);
    const failed = await server.call("GET", "/v1/runs");
    expectProblem(failed, 500);
    expect(failed.json.title).toBe("Internal Server Error");
    expect(failed.json.detail).toMatch(/^Something went wrong on our side \(request [0-9a-f-]+\)/);
    expect(failed.text).not.toMatch(/sqlite|postgres|pool|database|SELECT|stack|at /i);
    // Malformed requests are still refused before they reach the store.
    expectProblem(await server.call("GET", "/v1/runs?limit=0"), 400);
  });
});
