/**
 * A late answer to an interrupt the run has already moved past: the status compare-and-set also
 * names the interrupt, so the stale answer is a 409 and nothing runs again.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import type { RunRecord } from "../../storage/index.ts";
import { describeEachBackend } from "../helpers/backends.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

describeEachBackend("stale answers", (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend);
  });
  afterAll(() => server.close());

  test("an answer to interrupt #1 after the run waits on #2 is a 409; nothing re-executes", async () => {
    const started = await server.call("POST", "/v1/workflows/subscription-offboarding/runs", {
      body: { input: { customer: { external_id: "usr_two_subs" } } },
    });
    const first = started.json.interrupt;
    expect(first).toMatchObject({ node: "choose_subscription", kind: "choice" });
    const runId: string = started.json.run_id;
    const { runs } = server.storage;
    // What a slow request read before another answer moved the run on.
    const stale = (await runs.get("default", runId)) as RunRecord;
    const choice = { subscription_id: first.options[0].id };

    const answered = await server.call("POST", `/v1/runs/${runId}/resume`, {
      body: { resume: choice, interrupt_id: first.id },
    });
    expect(answered.json.interrupt).toMatchObject({ node: "approve_cancellation" });
    const before = await server.call("GET", `/v1/runs/${runId}/checkpoints?limit=100`);

    const get = runs.get.bind(runs);
    runs.get = async () => {
      runs.get = get;
      return stale;
    };
    const late = await server.call("POST", `/v1/runs/${runId}/resume`, {
      body: { resume: choice, interrupt_id: first.id },
    });
    expect(late.status).toBe(409);

    const now = await server.call("GET", `/v1/runs/${runId}`);
    expect(now.json).toMatchObject({
      status: "interrupted",
      interrupt: { id: answered.json.interrupt.id },
      updated_at: answered.json.updated_at,
    });
    const after = await server.call("GET", `/v1/runs/${runId}/checkpoints?limit=100`);
    expect(after.json.checkpoints).toEqual(before.json.checkpoints);
  });
});
