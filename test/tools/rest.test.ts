/**
 * The tools over REST: the listing agents load, schema violations refused before Polar sees
 * anything, writes as approved runs (idempotent, tenant-scoped, skippable per key), the caller's
 * own rate limit in IETF RateLimit fields, and a spent Polar budget as a 503 with the wait.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CUSTOMERS, PRODUCTS, SUBSCRIPTIONS } from "../../polar/simulator/seed.ts";
import { describeEachBackend } from "../helpers/backends.ts";
import { recordingClock } from "../helpers/polar.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const AGENT_KEY = "agent-key-0123456789";
const OPS_KEY = "ops-bot-key-0123456789";
const ADA = { external_id: CUSTOMERS.ada.externalId };

const invoke = (
  server: TestServer,
  name: string,
  body: unknown,
  options: { key?: string; headers?: Record<string, string> } = {},
) => server.call("POST", `/v1/tools/${name}/invoke`, { key: AGENT_KEY, body, ...options });

function expectProblem(answer: { status: number; headers: Headers; json: any }, status: number) {
  expect(answer.status).toBe(status);
  expect(answer.headers.get("content-type")).toContain("application/problem+json");
  expect(answer.json).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status,
  });
}

/** Requests to Polar that are not reads. */
const writesTo = (server: TestServer) =>
  server.simulator.requests().filter((request) => request.method !== "GET");

describeEachBackend("tools over REST", (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend, {
      env: { API_KEYS: `agents=${AGENT_KEY},ops=${OPS_KEY}`, TOOLS_SKIP_APPROVAL: "ops" },
    });
  });
  afterAll(() => server.close());

  test("GET /v1/tools: { name, description, parameters } only, in the OpenAPI document too", async () => {
    const { status, json } = await server.call("GET", "/v1/tools", { key: AGENT_KEY });
    expect(status).toBe(200);
    expect(json.tools).toHaveLength(11);
    for (const tool of json.tools) {
      expect(Object.keys(tool)).toEqual(["name", "description", "parameters"]);
      expect(tool.parameters.type).toBe("object");
    }
    const detail = await server.call("GET", "/v1/tools/create_checkout", { key: AGENT_KEY });
    expect(detail.json).toMatchObject({
      name: "create_checkout",
      kind: "write",
      answer_schema: { type: "object", properties: { status: { enum: expect.any(Array) } } },
    });
    expectProblem(await server.call("GET", "/v1/tools/delete_customer", { key: AGENT_KEY }), 404);
    const { json: document } = await server.call("GET", "/openapi.json");
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(["/v1/tools", "/v1/tools/{name}", "/v1/tools/{name}/invoke"]),
    );
    expect((await server.call("GET", "/v1/tools")).status).toBe(401);
  });

  describe("schema violations: a 400 naming the field, and Polar sees nothing", () => {
    const over = (length: number) => "x".repeat(length);
    const cases: [string, string, Record<string, unknown>, string][] = [
      [
        "both customer ids",
        "get_customer",
        { customer: { id: CUSTOMERS.ada.id, external_id: "external_usr_881" } },
        "arguments.customer",
      ],
      [
        "a metadata value over 500 characters",
        "ingest_event",
        { customer: ADA, name: "api_request", metadata: { note: over(501) } },
        "arguments.metadata.note",
      ],
      [
        "51 metadata keys",
        "ingest_event",
        {
          customer: ADA,
          name: "api_request",
          metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])),
        },
        "arguments.metadata",
      ],
      [
        "a metadata key over 40 characters",
        "create_checkout",
        { customer: ADA, product: { name: "Pro" }, metadata: { [over(41)]: "v" } },
        `arguments.metadata.${over(41)}`,
      ],
      [
        "a future timestamp",
        "ingest_event",
        {
          customer: ADA,
          name: "api_request",
          timestamp: new Date(Date.now() + 3_600_000).toISOString(),
        },
        "arguments.timestamp",
      ],
      ["a depth of 6", "list_events", { customer: ADA, depth: 6 }, "arguments.depth"],
      [
        "properties of another benefit type",
        "create_benefit",
        { benefit: { type: "feature_flag", description: "Beta", properties: { units: 5 } } },
        "arguments.benefit.properties.units",
      ],
      [
        "a cancellation that is not at the period's end",
        "schedule_cancellation",
        { customer: ADA, subscription_id: SUBSCRIPTIONS.adaStarter, revoke: true },
        "arguments.revoke",
      ],
      [
        "switching approval off from the arguments",
        "start_overage_remediation",
        {
          customer: ADA,
          upgrade_product: { name: "Pro" },
          usage: { event_name: "api_request" },
          limit: 10_000,
          require_approval: false,
        },
        "arguments.require_approval",
      ],
    ];

    test.each(cases)("%s", async (_title, tool, args, path) => {
      server.simulator.clearRequests();
      const answer = await invoke(server, tool, { arguments: args }, { key: OPS_KEY });
      expectProblem(answer, 400);
      expect(answer.json.errors.map((error: { path: string }) => error.path)).toContain(path);
      expect(server.simulator.requests()).toEqual([]);
    });

    test("an unknown tool is a 404; unknown body fields a 400", async () => {
      expectProblem(await invoke(server, "revoke_subscription", { arguments: {} }), 404);
      const extra = await invoke(server, "get_customer", {
        arguments: { customer: ADA },
        wait: false,
      });
      expectProblem(extra, 400);
      expect(extra.json.errors).toEqual([{ path: "wait", message: "unknown field" }]);
    });
  });

  test("a write: 202 pending_approval with the run; the same key answers the same run; one checkout after approval", async () => {
    server.simulator.clearRequests();
    const body = { arguments: { customer: ADA, product: { name: "Pro" } } };
    const first = await invoke(server, "create_checkout", body, {
      headers: { "idempotency-key": "checkout-ada-1" },
    });
    expect(first.status).toBe(202);
    expect(first.json).toMatchObject({
      status: "pending_approval",
      run: { workflow: "tool-write", status: "interrupted", interrupt: { kind: "approval" } },
      note: expect.stringContaining("do not call the tool again"),
    });
    const runId = first.json.run.run_id;
    const second = await invoke(server, "create_checkout", {
      ...body,
      idempotency_key: "checkout-ada-1",
    });
    expect(second.status).toBe(202);
    expect(second.json.run.run_id).toBe(runId);
    expectProblem(
      await invoke(server, "create_checkout", {
        arguments: { customer: ADA, product: { name: "Starter" } },
        idempotency_key: "checkout-ada-1",
      }),
      422,
    );
    expectProblem(
      await invoke(
        server,
        "create_checkout",
        { ...body, idempotency_key: "a" },
        { headers: { "idempotency-key": "b" } },
      ),
      400,
    );
    expect(writesTo(server)).toEqual([]);

    const { json: listed } = await server.call("GET", "/v1/runs?workflow=tool-write", {
      key: AGENT_KEY,
    });
    expect(listed.runs.map((run: { run_id: string }) => run.run_id)).toContain(runId);
    // Its event stream (a hijacked answer) carries the caller's RateLimit fields too.
    const stream = await fetch(`${server.url}/v1/runs/${runId}/events`, {
      headers: { authorization: `Bearer ${AGENT_KEY}` },
      signal: AbortSignal.timeout(5_000),
    });
    expect(stream.headers.get("content-type")).toContain("text/event-stream");
    expect(stream.headers.get("ratelimit")).toMatch(/^"caller";r=\d+;t=\d+$/);
    await stream.text();

    await server.call("POST", `/v1/runs/${runId}/resume`, {
      key: AGENT_KEY,
      body: { resume: { approved: true } },
    });
    const third = await invoke(server, "create_checkout", body, {
      headers: { "idempotency-key": "checkout-ada-1" },
    });
    expect(third.status).toBe(200);
    expect(third.json).toMatchObject({
      status: "completed",
      run_id: runId,
      result: { outcome: "checkout_created", checkout: { id: expect.any(String) } },
    });
    const checkouts = writesTo(server).filter((request) => request.path === "/v1/checkouts/");
    expect(checkouts).toHaveLength(1);
    expect(checkouts[0]!.body).toMatchObject({
      customer_id: CUSTOMERS.ada.id,
      products: [PRODUCTS.pro.id],
    });
  });

  test("a key allowed to skip approval writes at once; an ingest with the same key writes once", async () => {
    server.simulator.clearRequests();
    const body = {
      arguments: { customer: ADA, name: "support_ticket", external_id: "ticket-42" },
      idempotency_key: "ingest-ticket-42",
    };
    const first = await invoke(server, "ingest_event", body, { key: OPS_KEY });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({
      status: "completed",
      result: { outcome: "event_ingested" },
    });
    const second = await invoke(server, "ingest_event", body, { key: OPS_KEY });
    expect(second.json).toEqual(first.json);
    expect(writesTo(server).map((request) => request.path)).toEqual(["/v1/events/ingest"]);

    // The other tenant's key still needs a person, and does not see the ops run.
    const agent = await invoke(server, "ingest_event", body);
    expect(agent.status).toBe(202);
    expect(agent.json.run.run_id).not.toBe(first.json.run_id);
    expectProblem(
      await server.call("GET", `/v1/runs/${first.json.run_id}`, { key: AGENT_KEY }),
      404,
    );
  });

  test("workflow tools start runs with approval on; tool-write cannot be started through /v1/workflows", async () => {
    const started = await invoke(server, "start_overage_remediation", {
      arguments: {
        customer: ADA,
        current_product: { name: "Starter" },
        upgrade_product: { name: "Pro" },
        usage: { event_name: "api_request", group_by: "endpoint" },
        limit: 10_000,
      },
    });
    expect(started.status).toBe(202);
    expect(started.json.run).toMatchObject({
      workflow: "overage-remediation",
      input: { require_approval: true },
      interrupt: { node: "approve_checkout" },
    });
    const noLimit = await invoke(server, "start_overage_remediation", {
      arguments: { customer: ADA, upgrade_product: { name: "Pro" }, usage: { event_name: "x" } },
    });
    expectProblem(noLimit, 400);
    expect(noLimit.json.errors).toEqual([{ path: "arguments.limit", message: expect.any(String) }]);

    const { json: workflows } = await server.call("GET", "/v1/workflows", { key: AGENT_KEY });
    expect(workflows.workflows.map((workflow: { name: string }) => workflow.name)).not.toContain(
      "tool-write",
    );
    expectProblem(
      await server.call("POST", "/v1/workflows/tool-write/runs", {
        key: AGENT_KEY,
        body: {
          input: {
            tool: "ingest_event",
            arguments: { customer: ADA, name: "x" },
            require_approval: false,
          },
        },
      }),
      404,
    );
  });

  describe("rate limits seen by agents", () => {
    test("every /v1 answer carries the caller's RateLimit-Policy and RateLimit; past it, a 429 with Retry-After", async () => {
      const server = await startTestServer(backend, {
        env: { API_KEYS: `agents=${AGENT_KEY},ops=${OPS_KEY}`, API_RATE_LIMIT: "3" },
      });
      try {
        const answers = [];
        for (let i = 0; i < 3; i++)
          answers.push(await server.call("GET", "/v1/tools", { key: AGENT_KEY }));
        expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
        expect(answers[0]!.headers.get("ratelimit-policy")).toBe('"caller";q=3;w=60');
        expect(answers.map((answer) => answer.headers.get("ratelimit"))).toEqual([
          expect.stringMatching(/^"caller";r=2;t=\d+$/),
          expect.stringMatching(/^"caller";r=1;t=\d+$/),
          expect.stringMatching(/^"caller";r=0;t=\d+$/),
        ]);
        const limited = await server.call("GET", "/v1/runs", { key: AGENT_KEY });
        expectProblem(limited, 429);
        expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
        expect(limited.headers.get("ratelimit")).toMatch(/^"caller";r=0;t=\d+$/);
        // Each caller has its own budget.
        const other = await server.call("GET", "/v1/tools", { key: OPS_KEY });
        expect(other.status).toBe(200);
        expect(other.headers.get("ratelimit")).toMatch(/^"caller";r=2;/);
        // Problems carry the fields too.
        const notFound = await server.call("GET", "/v1/runs/00000000-0000-4000-8000-000000000000", {
          key: OPS_KEY,
        });
        expectProblem(notFound, 404);
        expect(notFound.headers.get("ratelimit")).toMatch(/^"caller";r=1;/);
      } finally {
        await server.close();
      }
    });

    test("Polar's budget spent: a read tool answers a 503 at once, retryable, with the wait", async () => {
      // A clock fixed mid-window: the budget's next window is ~30 s away, more than a read waits.
      const midWindow = Date.UTC(2026, 0, 1, 0, 0, 30);
      const { clock, waits } = recordingClock({ now: () => midWindow });
      const server = await startTestServer(backend, {
        gateway: { requestsPerMinute: 2, clock },
      });
      try {
        for (let i = 0; i < 2; i++) {
          expect(
            (await invoke(server, "get_customer", { arguments: { customer: ADA } })).status,
          ).toBe(200);
        }
        const spent = await invoke(server, "get_customer", { arguments: { customer: ADA } });
        expect(waits, "no wait for the next window").toEqual([]);
        expectProblem(spent, 503);
        expect(spent.json).toMatchObject({
          code: "polar_rate_limited",
          retryable: true,
          retry_after: expect.any(Number),
        });
        expect(spent.headers.get("retry-after")).toBe(String(spent.json.retry_after));
        expect(server.simulator.requests()).toHaveLength(2);
      } finally {
        await server.close();
      }
    });
  });
});
