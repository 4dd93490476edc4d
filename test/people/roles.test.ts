/**
 * Roles on keys: an agent key can never settle a decision meant for a person (403
 * `approver-required`), an approver key can; legacy `tenant=key` entries are approvers; bad
 * entries stop the service naming the entry, never the key.
 */
import { randomUUID } from "node:crypto";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ConfigError, loadConfig } from "../../server/config.ts";
import { describeEachBackend } from "../helpers/backends.ts";
import { OFFBOARDING_INPUT, OVERAGE_INPUT } from "../helpers/scenarios.ts";
import { readEvents, startTestServer, type TestServer } from "../helpers/server.ts";

const AGENT_KEY = `agent-${randomUUID()}`;
const APPROVER_KEY = `approver-${randomUUID()}`;
const LEGACY_KEY = `legacy-${randomUUID()}`;
const OTHER_AGENT_KEY = `agent2-${randomUUID()}`;

describe("API_KEYS entries", () => {
  const secret = "s3cret-key-0123456789";
  test("tenant=key is an approver named after its tenant; tenant:name:role=key names both", () => {
    const config = loadConfig({
      API_KEYS: `acme=${secret},acme:ci-bot:agent=${secret}x,acme:ada:approver=${secret}y`,
    });
    expect(config.apiKeys?.map(({ tenant, name, role }) => ({ tenant, name, role }))).toEqual([
      { tenant: "acme", name: "acme", role: "approver" },
      { tenant: "acme", name: "ci-bot", role: "agent" },
      { tenant: "acme", name: "ada", role: "approver" },
    ]);
  });

  test.each([
    [`acme:Ada:approver=${secret}`, "entry 1 (acme:Ada:approver)", "[a-z0-9_-]{1,40}"],
    [`acme:ada:admin=${secret}`, "entry 1 (acme:ada:admin)", "agent or approver"],
    [`acme:ada=${secret}`, "entry 1 (acme:ada)", "tenant:name:role"],
    [`acme=${secret},acme:acme:agent=${secret}z`, "entry 2 (acme:acme:agent)", "already has"],
    [`acme:a:agent=${secret},acme:b:agent=${secret}`, "entry 2 (acme:b:agent)", "same key"],
    ["acme:bot:agent=short", "entry 1 (acme:bot:agent)", "at least 16"],
    [`${secret}`, "entry 1", "tenant=key"],
  ])("%s is refused with a message naming the entry, never the key", (raw, names, says) => {
    let error: unknown;
    try {
      loadConfig({ API_KEYS: raw });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(names);
    expect(message).toContain(says);
    expect(message).not.toContain(secret);
    expect(message).not.toContain("short");
  });
});

describeEachBackend("roles over HTTP", (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend, {
      env: {
        API_KEYS: [
          `acme:ci-bot:agent=${AGENT_KEY}`,
          `acme:ada:approver=${APPROVER_KEY}`,
          `globex=${LEGACY_KEY}`,
          `globex:helper:agent=${OTHER_AGENT_KEY}`,
        ].join(","),
        TOOLS_SKIP_APPROVAL: "acme",
      },
    });
  });
  afterAll(() => server.close());

  const start = (key: string, workflow: string, input: Record<string, unknown>) =>
    server.call("POST", `/v1/workflows/${workflow}/runs`, { body: { input }, key });

  test("GET /v1/whoami names the key's tenant, name and role", async () => {
    expect((await server.call("GET", "/v1/whoami", { key: AGENT_KEY })).json).toEqual({
      tenant: "acme",
      name: "ci-bot",
      role: "agent",
    });
    expect((await server.call("GET", "/v1/whoami", { key: LEGACY_KEY })).json).toEqual({
      tenant: "globex",
      name: "globex",
      role: "approver",
    });
    expect((await server.call("GET", "/v1/whoami")).status).toBe(401);
  });

  test("an agent key cannot answer an interrupt (403, the run still waits); an approver key can", async () => {
    const { json: run } = await start(AGENT_KEY, "overage-remediation", OVERAGE_INPUT);
    expect(run.status).toBe("interrupted");
    const refused = await server.call("POST", `/v1/runs/${run.run_id}/resume`, {
      body: { resume: { approved: true } },
      key: AGENT_KEY,
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect(refused.json.type).toMatch(/approver-required$/);
    expect(refused.json.detail).toContain("ci-bot");
    expect(refused.text).not.toContain(AGENT_KEY);
    expect(
      (await server.call("GET", `/v1/runs/${run.run_id}`, { key: AGENT_KEY })).json,
    ).toMatchObject({
      status: "interrupted",
      interrupt: { id: run.interrupt.id },
    });

    const approved = await server.call("POST", `/v1/runs/${run.run_id}/resume`, {
      body: { resume: { approved: true, note: "fine" } },
      key: APPROVER_KEY,
    });
    expect(approved.status).toBe(200);
    expect(approved.json).toMatchObject({
      status: "completed",
      output: { outcome: "checkout_created" },
    });

    // The answer is on record with the key's name, on the run and in its event stream.
    const answer = {
      interrupt_id: run.interrupt.id,
      node: "approve_checkout",
      kind: "approval",
      action: "approved",
      answered_by: "ada",
      note: "fine",
      resume: { approved: true, note: "fine" },
    };
    expect(approved.json.answers).toEqual([{ ...answer, answered_at: expect.any(String) }]);
    const read = await server.call("GET", `/v1/runs/${run.run_id}`, { key: AGENT_KEY });
    expect(read.json.answers).toEqual(approved.json.answers);
    const answeredAt = Date.parse(read.json.answers[0].answered_at);
    expect(answeredAt).toBeGreaterThanOrEqual(Date.parse(run.updated_at));
    expect(answeredAt).toBeLessThanOrEqual(Date.parse(read.json.updated_at));
    const listed = await server.call("GET", "/v1/runs?limit=100", { key: AGENT_KEY });
    const inList = listed.json.runs.find((r: { run_id: string }) => r.run_id === run.run_id);
    expect(inList.answers).toEqual(approved.json.answers);
    const { events } = await readEvents(server, run.run_id, { key: AGENT_KEY });
    const answerEvents = events.filter((event) => event.event === "answer");
    expect(answerEvents.map((event) => event.data)).toEqual([
      { ...answer, run_id: run.run_id, answered_at: read.json.answers[0].answered_at },
    ]);
    // It comes right before the run leaves `interrupted`.
    const at = events.indexOf(answerEvents[0]!);
    expect(events[at + 1]).toMatchObject({ event: "status", data: { status: "running" } });
  });

  test("a legacy tenant=key entry keeps working as an approver", async () => {
    const { json: run } = await start(LEGACY_KEY, "subscription-offboarding", OFFBOARDING_INPUT);
    expect(run.status).toBe("interrupted");
    const answered = await server.call("POST", `/v1/runs/${run.run_id}/resume`, {
      body: { resume: { approved: false, note: "ask first" } },
      key: LEGACY_KEY,
    });
    expect(answered.status).toBe(200);
    expect(answered.json).toMatchObject({ status: "completed", output: { outcome: "rejected" } });
    expect(answered.json.answers).toMatchObject([
      { action: "rejected", answered_by: "globex", note: "ask first" },
    ]);
  });

  test("starting without approval needs an approver key", async () => {
    for (const [workflow, input] of [
      ["overage-remediation", OVERAGE_INPUT],
      ["subscription-offboarding", OFFBOARDING_INPUT],
    ] as const) {
      const refused = await start(AGENT_KEY, workflow, { ...input, require_approval: false });
      expect(refused.status, workflow).toBe(403);
      expect(refused.json.type).toMatch(/approver-required$/);
    }
    const before = server.simulator.requests().length;
    const byAgent = await start(OTHER_AGENT_KEY, "subscription-offboarding", {
      ...OFFBOARDING_INPUT,
      require_approval: false,
    });
    expect(byAgent.status).toBe(403);
    // Refused before anything reached Polar.
    expect(server.simulator.requests().length).toBe(before);

    const byApprover = await start(APPROVER_KEY, "overage-remediation", {
      ...OVERAGE_INPUT,
      require_approval: false,
    });
    expect(byApprover.status).toBe(201);
    expect(byApprover.json).toMatchObject({
      status: "completed",
      output: { outcome: "checkout_created" },
    });
  });

  test("retrying a failed run stays open to agents", async () => {
    const { json: run } = await start(AGENT_KEY, "overage-remediation", OVERAGE_INPUT);
    server.simulator.setFaults({ rate503: 1 });
    try {
      const failed = await server.call("POST", `/v1/runs/${run.run_id}/resume`, {
        body: { resume: { approved: true } },
        key: APPROVER_KEY,
      });
      expect(failed.json).toMatchObject({ status: "failed", error: { retryable: true } });
    } finally {
      server.simulator.setFaults({ rate503: 0 });
    }
    const retried = await server.call("POST", `/v1/runs/${run.run_id}/resume`, {
      body: {},
      key: AGENT_KEY,
    });
    expect(retried.status).toBe(200);
    expect(retried.json).toMatchObject({
      status: "completed",
      output: { outcome: "checkout_created" },
    });
  });

  test("TOOLS_SKIP_APPROVAL applies to approver keys only: an agent's write waits for a person", async () => {
    const args = { customer: { external_id: "external_usr_881" }, product: { name: "Pro" } };
    const byAgent = await server.call("POST", "/v1/tools/create_checkout/invoke", {
      body: { arguments: args },
      key: AGENT_KEY,
    });
    expect(byAgent.status).toBe(202);
    expect(byAgent.json.status).toBe("pending_approval");
    const byApprover = await server.call("POST", "/v1/tools/create_checkout/invoke", {
      body: { arguments: args },
      key: APPROVER_KEY,
    });
    expect(byApprover.status).toBe(200);
    expect(byApprover.json).toMatchObject({
      status: "completed",
      result: { outcome: "checkout_created" },
    });
  });

  test("MCP offers no way to answer an interrupt", async () => {
    const client = new Client({ name: "roles-test", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${APPROVER_KEY}` } },
      }),
    );
    try {
      const { tools } = await client.listTools();
      expect(tools.length).toBeGreaterThan(0);
      for (const tool of tools) {
        const properties = Object.keys(
          (tool.inputSchema as { properties?: Record<string, unknown> }).properties ?? {},
        );
        // No tool takes an answer to an interrupt, and none is about resuming or approving.
        expect(properties, tool.name).not.toContain("resume");
        expect(properties, tool.name).not.toContain("approved");
        expect(properties, tool.name).not.toContain("interrupt_id");
        expect(tool.name).not.toMatch(/resume|approve|answer|reject/);
      }
    } finally {
      await client.close();
    }
  });
});
