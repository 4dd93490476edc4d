/**
 * LangGraph's own SDK client (`@langchain/langgraph-sdk`) against polar-flows' `/langgraph`
 * routes, over HTTP: assistants, threads, waits that answer `__interrupt__`, answers given as
 * `command: { resume }` (polar-flows' object or agent-inbox's), streams, joins, searches — and
 * the thread is the same run on `/v1`.
 */
import { Client } from "@langchain/langgraph-sdk";
import { afterAll, beforeAll, expect, test } from "vitest";
import { describeEachBackend } from "../helpers/backends.ts";
import {
  AGENT_KEY,
  APPROVER_KEY,
  clientFor,
  failedStatus,
  GRAPH_INPUT,
  LANGGRAPH_KEYS,
  OTHER_TENANT_KEY,
  OVERAGE,
} from "../helpers/langgraph.ts";
import { checkoutsCreatedFor } from "../helpers/scenarios.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

type InterruptValue = {
  kind: string;
  node: string;
  message: string;
  action_request: { action: string; args: Record<string, unknown> };
  config: Record<string, boolean>;
  description: string;
};

describeEachBackend("LangGraph API with the official SDK client", (backend) => {
  let server: TestServer;
  let client: Client;
  beforeAll(async () => {
    server = await startTestServer(backend, { env: { API_KEYS: LANGGRAPH_KEYS } });
    client = clientFor(server, APPROVER_KEY);
  });
  afterAll(() => server?.close());

  /** A new thread waiting at `approve_checkout`; answers its id and the wait's answer. */
  async function interruptedThread(c: Client = client) {
    const thread = await c.threads.create({ metadata: { ticket: "T-1" } });
    const values = await c.runs.wait(thread.thread_id, OVERAGE, { input: GRAPH_INPUT });
    return { threadId: thread.thread_id, values: values as Record<string, unknown> };
  }

  test("assistants are the public workflows: search, get, graph, schemas", async () => {
    const assistants = await client.assistants.search();
    expect(assistants.map((assistant) => assistant.assistant_id).sort()).toEqual([
      OVERAGE,
      "subscription-offboarding",
    ]);
    expect(await client.assistants.search({ graphId: OVERAGE })).toHaveLength(1);
    const assistant = await client.assistants.get(OVERAGE);
    expect(assistant).toMatchObject({ assistant_id: OVERAGE, graph_id: OVERAGE });
    const graph = await client.assistants.getGraph(OVERAGE);
    expect(graph.nodes.map((node) => node.id)).toContain("approve_checkout");
    expect(graph.edges.length).toBeGreaterThan(5);
    const schemas = await client.assistants.getSchemas(OVERAGE);
    expect(schemas.input_schema).toMatchObject({ required: ["input"] });
    expect(await failedStatus(client.assistants.get("tool-write"))).toBe(404);
  });

  test("wait answers __interrupt__ in agent-inbox's shape; getState; resume; history; the same run on /v1", async () => {
    const { threadId, values } = await interruptedThread();
    const [pending] = values.__interrupt__ as { id: string; value: InterruptValue }[];
    expect(pending!.value).toMatchObject({
      kind: "approval",
      node: "approve_checkout",
      action_request: { action: "create_checkout", args: { usage_total: expect.any(Number) } },
      config: { allow_accept: true, allow_respond: true, allow_edit: false, allow_ignore: true },
    });
    expect(pending!.value.description).toBe(pending!.value.message);
    const usage = values.usage as { total: number; limit: number };
    expect(usage.total).toBeGreaterThan(usage.limit);

    const state = await client.threads.getState(threadId);
    expect(state.next).toEqual(["approve_checkout"]);
    expect(state.tasks[0]!.interrupts[0]!.id).toBe(pending!.id);
    expect(state.checkpoint.checkpoint_id).toEqual(expect.any(String));
    const thread = await client.threads.get(threadId);
    expect(thread.status).toBe("interrupted");
    expect(Object.values(thread.interrupts)[0]![0]!.id).toBe(pending!.id);

    const done = await client.runs.wait(threadId, OVERAGE, {
      command: { resume: { approved: true, note: "ok by finance" } },
    });
    expect(done).toMatchObject({ outcome: "checkout_created" });
    expect(done).not.toHaveProperty("__interrupt__");
    expect((await client.threads.get(threadId)).status).toBe("idle");
    expect(checkoutsCreatedFor(server.simulator.requests(), threadId)).toHaveLength(1);

    const history = await client.threads.getHistory(threadId, { limit: 3 });
    expect(history).toHaveLength(3);
    expect(history[0]!.next).toEqual([]);
    expect(history[1]!.next).toEqual(["draft_email"]);
    const older = await client.threads.getHistory(threadId, {
      limit: 100,
      before: { configurable: { checkpoint_id: history[2]!.checkpoint.checkpoint_id } },
    });
    expect(older.some((entry) => entry.next.includes("approve_checkout"))).toBe(true);

    const run = await server.call("GET", `/v1/runs/${threadId}`, { key: APPROVER_KEY });
    expect(run.json).toMatchObject({
      run_id: threadId,
      workflow: OVERAGE,
      status: "completed",
      metadata: { ticket: "T-1" },
      answers: [{ action: "approved", answered_by: "ada", note: "ok by finance" }],
    });
    const runs = await client.runs.list(threadId);
    expect(runs.map((each) => each.status)).toEqual(["success", "success"]);
  });

  test("runs.stream with streamMode updates: metadata first, node updates, then __interrupt__", async () => {
    const thread = await client.threads.create();
    let created: { run_id: string; thread_id?: string } | undefined;
    const events: { event: string; data: any }[] = [];
    for await (const part of client.runs.stream(thread.thread_id, OVERAGE, {
      input: GRAPH_INPUT,
      streamMode: "updates",
      onRunCreated: (metadata) => {
        created = metadata;
      },
    })) {
      events.push(part as { event: string; data: any });
    }
    expect(events[0]).toMatchObject({ event: "metadata", data: { run_id: created!.run_id } });
    expect(created!.thread_id).toBe(thread.thread_id);
    const nodes = events
      .filter((part) => part.event === "updates")
      .map((part) => Object.keys(part.data)[0]);
    expect(nodes).toEqual(["resolve_customer", "check_subscription", "sum_usage", "__interrupt__"]);
    expect(events.at(-1)!.data.__interrupt__[0].value.kind).toBe("approval");
    expect(events.some((part) => part.event === "values")).toBe(false);

    const resumed: string[] = [];
    for await (const part of client.runs.stream(thread.thread_id, OVERAGE, {
      command: { resume: { approved: true } },
      streamMode: ["values", "updates"],
    })) {
      resumed.push(part.event);
    }
    expect(resumed[0]).toBe("metadata");
    expect(resumed.filter((event) => event === "updates")).toHaveLength(3);
    expect(resumed.at(-1)).toBe("values");
  });

  test("runs.create + runs.join; runs.get; threads.search by status and metadata", async () => {
    const thread = await client.threads.create({ metadata: { queue: "billing" } });
    const run = await client.runs.create(thread.thread_id, OVERAGE, { input: GRAPH_INPUT });
    expect(run).toMatchObject({ thread_id: thread.thread_id, multitask_strategy: "reject" });
    const joined = (await client.runs.join(thread.thread_id, run.run_id)) as Record<string, any>;
    expect(joined.__interrupt__[0].value.node).toBe("approve_checkout");
    expect(await client.runs.get(thread.thread_id, run.run_id)).toMatchObject({
      status: "success",
    });
    // Its part is done (the thread waits for a person): nothing to cancel, as on LangGraph's server.
    expect(await failedStatus(client.runs.cancel(thread.thread_id, run.run_id))).toBe(409);
    expect((await client.threads.get(thread.thread_id)).status).toBe("interrupted");

    const interrupted = await client.threads.search({ status: "interrupted", limit: 100 });
    expect(interrupted.map((found) => found.thread_id)).toContain(thread.thread_id);
    expect(interrupted.every((found) => found.status === "interrupted")).toBe(true);
    const byMetadata = await client.threads.search({ metadata: { queue: "billing" } });
    expect(byMetadata.map((found) => found.thread_id)).toEqual([thread.thread_id]);
    const byGraph = await client.threads.search({ metadata: { graph_id: OVERAGE }, limit: 100 });
    expect(byGraph.map((found) => found.thread_id)).toContain(thread.thread_id);
    const fresh = await client.threads.create();
    const idle = await client.threads.search({ status: "idle", limit: 100 });
    expect(idle.map((found) => found.thread_id)).toContain(fresh.thread_id);
    expect(idle.map((found) => found.thread_id)).not.toContain(thread.thread_id);
  });

  test("agent-inbox's answers: accept approves, response rejects with its text as the note", async () => {
    const accepted = await interruptedThread();
    const approved = await client.runs.wait(accepted.threadId, OVERAGE, {
      command: { resume: [{ type: "accept", args: null }] },
    });
    expect(approved).toMatchObject({ outcome: "checkout_created" });

    const responded = await interruptedThread();
    await client.runs.wait(responded.threadId, OVERAGE, {
      command: { resume: [{ type: "response", args: "not this month" }] },
    });
    const run = await server.call("GET", `/v1/runs/${responded.threadId}`, { key: AGENT_KEY });
    expect(run.json.output).toMatchObject({ outcome: "rejected" });
    expect(run.json.answers).toMatchObject([{ action: "rejected", note: "not this month" }]);
    expect(checkoutsCreatedFor(server.simulator.requests(), responded.threadId)).toHaveLength(0);

    const edited = await interruptedThread();
    const refused = await failedStatus(
      client.runs.wait(edited.threadId, OVERAGE, {
        command: { resume: [{ type: "edit", args: { action: "create_checkout", args: {} } }] },
      }),
    );
    expect(refused).toBe(400);
    expect((await client.threads.get(edited.threadId)).status).toBe("interrupted");
  });

  test("an agent key cannot answer (403 approver-required); the thread stays interrupted", async () => {
    const agent = clientFor(server, AGENT_KEY);
    const { threadId } = await interruptedThread(agent);
    const denied = await server.call("POST", `/langgraph/threads/${threadId}/runs/wait`, {
      headers: { "x-api-key": AGENT_KEY },
      body: { assistant_id: OVERAGE, command: { resume: [{ type: "accept" }] } },
    });
    expect(denied.status).toBe(403);
    expect(denied.json.type).toMatch(/approver-required$/);
    expect(
      await failedStatus(
        agent.runs.create(threadId, OVERAGE, { command: { resume: { approved: true } } }),
      ),
    ).toBe(403);
    expect((await agent.threads.get(threadId)).status).toBe("interrupted");
    expect(checkoutsCreatedFor(server.simulator.requests(), threadId)).toHaveLength(0);
  });

  test("keys: x-api-key or Bearer, none is 401; a tenant sees only its own threads", async () => {
    const { threadId } = await interruptedThread();
    const bearer = new Client({
      apiUrl: `${server.url}/langgraph`,
      apiKey: null,
      defaultHeaders: { authorization: `Bearer ${APPROVER_KEY}` },
      callerOptions: { maxRetries: 0 },
    });
    expect((await bearer.threads.get(threadId)).thread_id).toBe(threadId);
    const anonymous = await server.call("POST", "/langgraph/threads/search", { body: {} });
    expect(anonymous.status).toBe(401);
    expect(anonymous.json.detail).toContain("x-api-key");
    // agent-inbox calls from the browser: preflights pass without a key, answers allow any origin.
    expect(anonymous.headers.get("access-control-allow-origin")).toBe("*");
    const preflight = await server.call("OPTIONS", `/langgraph/threads/${threadId}/runs/wait`, {
      headers: { origin: "http://localhost:3001", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-headers")).toContain("x-api-key");
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");

    const other = clientFor(server, OTHER_TENANT_KEY);
    expect(await failedStatus(other.threads.get(threadId))).toBe(404);
    expect(await failedStatus(other.threads.getState(threadId))).toBe(404);
    expect(
      await failedStatus(
        other.runs.wait(threadId, OVERAGE, { command: { resume: { approved: true } } }),
      ),
    ).toBe(404);
    const found = await other.threads.search({ limit: 100 });
    expect(found.map((thread) => thread.thread_id)).not.toContain(threadId);
    expect(await failedStatus(other.threads.create({ threadId }))).toBe(409);
  });
});
