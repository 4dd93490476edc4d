/**
 * The LangGraph API while a thread runs, on a simulator that answers slowly: a new run on a busy
 * thread is 409 (`multitask_strategy: "reject"`), a long wait keeps its connection alive with
 * newlines, a run can be cancelled, and a thread made before its first run reaches `/v1` only
 * with that run.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { sqliteBackend } from "../helpers/backends.ts";
import {
  APPROVER_KEY,
  clientFor,
  failedStatus,
  GRAPH_INPUT,
  LANGGRAPH_KEYS,
  OVERAGE,
} from "../helpers/langgraph.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

/** Each Polar answer takes this long: a run makes 8 calls, so it takes seconds to reach its interrupt. */
const POLAR_LATENCY_MS = 250;

describe("LangGraph API: busy threads and long waits", () => {
  const backend = sqliteBackend();
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend, {
      env: { API_KEYS: LANGGRAPH_KEYS },
      simulator: { latencyMs: POLAR_LATENCY_MS },
    });
  });
  afterAll(() => server?.close());

  test("a new run on a busy thread is 409; the thread is busy, its run running", async () => {
    const client = clientFor(server, APPROVER_KEY);
    const thread = await client.threads.create();
    const run = await client.runs.create(thread.thread_id, OVERAGE, { input: GRAPH_INPUT });
    const second = await server.call("POST", `/langgraph/threads/${thread.thread_id}/runs`, {
      headers: { "x-api-key": APPROVER_KEY },
      body: { assistant_id: OVERAGE, input: GRAPH_INPUT },
    });
    expect(second.status).toBe(409);
    expect(second.json.detail).toContain("busy");
    expect((await client.threads.get(thread.thread_id)).status).toBe("busy");
    expect(["pending", "running"]).toContain(
      (await client.runs.get(thread.thread_id, run.run_id)).status,
    );
    await client.runs.join(thread.thread_id, run.run_id);
    expect((await client.threads.get(thread.thread_id)).status).toBe("interrupted");
  });

  test("a long wait sends newlines until the values are ready", async () => {
    const client = clientFor(server, APPROVER_KEY);
    const thread = await client.threads.create();
    const started = Date.now();
    const response = await fetch(`${server.url}/langgraph/threads/${thread.thread_id}/runs/wait`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": APPROVER_KEY },
      body: JSON.stringify({ assistant_id: OVERAGE, input: GRAPH_INPUT }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-location")).toMatch(
      new RegExp(`^/langgraph/threads/${thread.thread_id}/runs/[0-9a-f-]{36}$`),
    );
    const text = await response.text();
    const waitedMs = Date.now() - started;
    expect(waitedMs).toBeGreaterThan(1_000);
    const newlines = text.length - text.trimStart().length;
    // One a second; timers run late on a busy machine, so at least one per two seconds.
    expect(newlines).toBeGreaterThanOrEqual(Math.max(1, Math.floor(waitedMs / 2_000)));
    expect(JSON.parse(text).__interrupt__[0].value.node).toBe("approve_checkout");
  });

  test("cancelling the thread's run: the thread is idle, the run interrupted, /v1 says cancelled", async () => {
    const client = clientFor(server, APPROVER_KEY);
    const thread = await client.threads.create();
    const run = await client.runs.create(thread.thread_id, OVERAGE, { input: GRAPH_INPUT });
    await client.runs.cancel(thread.thread_id, run.run_id);
    expect((await client.runs.get(thread.thread_id, run.run_id)).status).toBe("interrupted");
    expect((await client.threads.get(thread.thread_id)).status).toBe("idle");
    const v1 = await server.call("GET", `/v1/runs/${thread.thread_id}`, { key: APPROVER_KEY });
    expect(v1.json.status).toBe("cancelled");
    expect(await failedStatus(client.runs.cancel(thread.thread_id, run.run_id))).toBe(409);
  });

  test("a thread made before its first run is on /v1 only once it runs, under the same id", async () => {
    const client = clientFor(server, APPROVER_KEY);
    const thread = await client.threads.create({ graphId: OVERAGE, metadata: { ticket: "T-9" } });
    expect(thread.status).toBe("idle");
    const before = await server.call("GET", `/v1/runs/${thread.thread_id}`, { key: APPROVER_KEY });
    expect(before.status).toBe(404);
    expect((await client.threads.getState(thread.thread_id)).values).toEqual({});
    expect(await failedStatus(client.threads.create({ threadId: thread.thread_id }))).toBe(409);
    const same = await client.threads.create({
      threadId: thread.thread_id,
      ifExists: "do_nothing",
    });
    expect(same.thread_id).toBe(thread.thread_id);

    const bad = await server.call("POST", `/langgraph/threads/${thread.thread_id}/runs`, {
      headers: { "x-api-key": APPROVER_KEY },
      body: { assistant_id: OVERAGE, input: { input: { customer: {} } } },
    });
    expect(bad.status).toBe(400);
    // A first run that could not start leaves the thread as it was.
    expect((await client.threads.get(thread.thread_id)).status).toBe("idle");

    await client.runs.wait(thread.thread_id, OVERAGE, { input: GRAPH_INPUT });
    const after = await server.call("GET", `/v1/runs/${thread.thread_id}`, { key: APPROVER_KEY });
    expect(after.json).toMatchObject({
      run_id: thread.thread_id,
      status: "interrupted",
      metadata: { graph_id: OVERAGE, ticket: "T-9" },
    });
  });
});
