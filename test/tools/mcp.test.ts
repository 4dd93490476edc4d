/**
 * The tools over MCP: the official SDK client over Streamable HTTP against `/mcp`, with the same
 * keys and tenancy as `/v1`, Polar played by the simulator.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { CUSTOMERS, PRODUCTS } from "../../polar/simulator/seed.ts";
import { IDEMPOTENCY_META_KEY } from "../../server/routes/mcp.ts";
import { describeEachBackend } from "../helpers/backends.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const AGENT_KEY = "agent-key-0123456789";
const OTHER_KEY = "other-key-0123456789";
const ADA = { external_id: CUSTOMERS.ada.externalId };

describeEachBackend("MCP", (backend) => {
  let server: TestServer;
  const clients: Client[] = [];

  beforeAll(async () => {
    server = await startTestServer(backend, {
      env: { API_KEYS: `agents=${AGENT_KEY},others=${OTHER_KEY}` },
    });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });
  afterAll(() => server.close());

  async function connect(key: string | null = AGENT_KEY): Promise<Client> {
    const client = new Client({ name: "polar-flows-test", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
      requestInit: key ? { headers: { authorization: `Bearer ${key}` } } : {},
    });
    await client.connect(transport);
    clients.push(client);
    return client;
  }

  test("lists the same tools as GET /v1/tools, with output schemas and hints", async () => {
    const client = await connect();
    expect(client.getServerVersion()).toMatchObject({ name: "polar-flows" });
    expect(client.getInstructions()).toContain("approval");
    const { tools } = await client.listTools();
    const { json: rest } = await server.call("GET", "/v1/tools", { key: AGENT_KEY });
    expect(tools.map((tool) => tool.name)).toEqual(
      rest.tools.map((tool: { name: string }) => tool.name),
    );
    for (const tool of tools) {
      const listing = rest.tools.find((entry: { name: string }) => entry.name === tool.name);
      expect(tool.description).toBe(listing.description);
      expect(tool.inputSchema).toEqual(listing.parameters);
      expect(tool.outputSchema).toMatchObject({ type: "object" });
      expect(tool.annotations?.destructiveHint).toBe(false);
    }
    expect(tools.find((tool) => tool.name === "get_customer")!.annotations?.readOnlyHint).toBe(
      true,
    );
    expect(tools.find((tool) => tool.name === "create_checkout")!.annotations?.readOnlyHint).toBe(
      false,
    );
  });

  test("a read tool answers with structured content the client checks against its output schema", async () => {
    const client = await connect();
    server.simulator.clearRequests();
    const result = await client.callTool({ name: "get_customer", arguments: { customer: ADA } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      status: "completed",
      result: { customer: { id: CUSTOMERS.ada.id, email: "ada@example.com" } },
    });
    expect(JSON.parse((result.content as { text: string }[])[0]!.text)).toEqual(
      result.structuredContent,
    );
    expect(server.simulator.requests().map((request) => request.path)).toEqual([
      "/v1/customers/external/external_usr_881/state",
    ]);
  });

  test("a write waits for a person: pending_approval, a run of the caller's tenant, nothing sent", async () => {
    const client = await connect();
    server.simulator.clearRequests();
    const result = await client.callTool({
      name: "create_checkout",
      arguments: { customer: ADA, product: { name: "Pro" } },
      _meta: { [IDEMPOTENCY_META_KEY]: "mcp-checkout-1" },
    });
    const answer = result.structuredContent as { status: string; run: { run_id: string } };
    expect(answer).toMatchObject({
      status: "pending_approval",
      run: {
        workflow: "tool-write",
        interrupt: { kind: "approval", proposed_action: { product_id: PRODUCTS.pro.id } },
      },
    });
    expect(server.simulator.requests().filter((request) => request.method !== "GET")).toEqual([]);

    // The same key again: the same run, still one pending write.
    const again = await client.callTool({
      name: "create_checkout",
      arguments: { customer: ADA, product: { name: "Pro" } },
      _meta: { [IDEMPOTENCY_META_KEY]: "mcp-checkout-1" },
    });
    expect((again.structuredContent as typeof answer).run.run_id).toBe(answer.run.run_id);

    // The run is the caller's: visible to its tenant over REST and MCP, to no one else.
    const own = await server.call("GET", `/v1/runs/${answer.run.run_id}`, { key: AGENT_KEY });
    expect(own.json).toMatchObject({
      status: "interrupted",
      metadata: { tool: "create_checkout" },
    });
    const other = await server.call("GET", `/v1/runs/${answer.run.run_id}`, { key: OTHER_KEY });
    expect(other.status).toBe(404);
    const otherClient = await connect(OTHER_KEY);
    const foreign = await otherClient.callTool({
      name: "get_run",
      arguments: { run_id: answer.run.run_id },
    });
    expect(foreign.isError).toBe(true);
    expect(JSON.parse((foreign.content as { text: string }[])[0]!.text)).toMatchObject({
      status: 404,
    });
    const mine = await client.callTool({
      name: "get_run",
      arguments: { run_id: answer.run.run_id },
    });
    expect(mine.structuredContent).toMatchObject({
      status: "completed",
      result: { run_id: answer.run.run_id, status: "interrupted" },
    });
  });

  test("arguments that break Polar's rules: an error result naming the field, nothing sent to Polar", async () => {
    const client = await connect();
    server.simulator.clearRequests();
    const result = await client.callTool({
      name: "ingest_event",
      arguments: {
        customer: { id: CUSTOMERS.ada.id, external_id: CUSTOMERS.ada.externalId },
        name: "api_request",
      },
    });
    expect(result.isError).toBe(true);
    const body = JSON.parse((result.content as { text: string }[])[0]!.text);
    expect(body).toMatchObject({ status: 400, errors: [{ path: "arguments.customer" }] });
    expect(server.simulator.requests()).toEqual([]);
  });

  test("an unknown tool is a protocol error; no tool answers an approval", async () => {
    const client = await connect();
    await expect(client.callTool({ name: "delete_customer", arguments: {} })).rejects.toThrow(
      /no tool named "delete_customer"/,
    );
    const { tools } = await client.listTools();
    expect(
      tools.map((tool) => tool.name).filter((name) => /resume|approve|delete|revoke/.test(name)),
    ).toEqual([]);
  });

  test("the same keys and budget as /v1: none or a wrong key is a 401", async () => {
    for (const key of [null, "wrong-key-0123456789"]) {
      const response = await fetch(`${server.url}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...(key ? { authorization: `Bearer ${key}` } : {}),
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toContain("Bearer");
    }
    await expect(connect(null)).rejects.toThrow();

    // With a key: the JSON-RPC answer, with the caller's RateLimit fields like every /v1 answer.
    const response = await fetch(`${server.url}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        authorization: `Bearer ${AGENT_KEY}`,
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("ratelimit-policy")).toMatch(/^"caller";q=\d+;w=60$/);
    expect(((await response.json()) as { result: { tools: unknown[] } }).result.tools).toHaveLength(
      11,
    );
  });

  test("bad params are -32602 in our words, never a library's or the database's; nothing runs", async () => {
    const rpc = async (body: unknown) => {
      const response = await fetch(`${server.url}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          authorization: `Bearer ${AGENT_KEY}`,
        },
        body: JSON.stringify(body),
      });
      return { status: response.status, json: (await response.json()) as any };
    };
    const call = (params: unknown, id = 7) =>
      rpc({ jsonrpc: "2.0", id, method: "tools/call", params });
    const write = { name: "ingest_event", arguments: { customer: ADA, name: "api_request" } };
    const runsBefore = (await server.call("GET", "/v1/runs?limit=100", { key: AGENT_KEY })).json
      .runs;
    server.simulator.clearRequests();
    const cases: [unknown, string][] = [
      [{ ...write, _meta: { [IDEMPOTENCY_META_KEY]: "k".repeat(256) } }, IDEMPOTENCY_META_KEY],
      // PostgreSQL's btree refuses an index entry this long: its message must not reach anyone.
      [{ ...write, _meta: { [IDEMPOTENCY_META_KEY]: "k".repeat(8_000) } }, IDEMPOTENCY_META_KEY],
      [{ ...write, _meta: { [IDEMPOTENCY_META_KEY]: "" } }, IDEMPOTENCY_META_KEY],
      [{ ...write, _meta: { [IDEMPOTENCY_META_KEY]: 5 } }, IDEMPOTENCY_META_KEY],
      [{ name: "get_customer", arguments: [ADA] }, "params.arguments"],
      [{ name: "get_customer", arguments: "customer=ada" }, "params.arguments"],
      [{ name: "get_customer", arguments: null }, "params.arguments"],
      [{ arguments: {} }, "params.name"],
      ["get_customer", "params"],
    ];
    for (const [params, path] of cases) {
      const { status, json } = await call(params);
      expect(status, JSON.stringify(params).slice(0, 80)).toBe(200);
      expect(json).toMatchObject({ jsonrpc: "2.0", id: 7, error: { code: -32602 } });
      expect(json.error.message).toContain(path);
      expect(json.error.message).not.toMatch(/zod|invalid_type|btree|index row|"code"/i);
    }
    // A batch with one bad call runs none of its calls.
    const batch = await rpc([
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: write },
      { jsonrpc: "2.0", id: 2, method: "tools/call", params: { ...write, arguments: 1 } },
    ]);
    expect(batch.json.map((answer: any) => [answer.id, answer.error.code])).toEqual([
      [1, -32602],
      [2, -32602],
    ]);
    expect(server.simulator.requests()).toEqual([]);
    const runsAfter = (await server.call("GET", "/v1/runs?limit=100", { key: AGENT_KEY })).json
      .runs;
    expect(runsAfter).toHaveLength(runsBefore.length);

    // At the limit, the key works like REST's.
    const client = await connect();
    const fine = await client.callTool({
      ...write,
      _meta: { [IDEMPOTENCY_META_KEY]: "k".repeat(255) },
    });
    expect(fine.structuredContent).toMatchObject({ status: "pending_approval" });
  });
});
