/**
 * The two scenarios end to end through HTTP: start, see the interrupt on the run, answer
 * it, read the outcome — plus the checkpoint history, listing runs and the event stream.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { describeEachBackend } from "../helpers/backends.ts";
import { checkoutsCreatedFor, OFFBOARDING_INPUT, OVERAGE_INPUT } from "../helpers/scenarios.ts";
import { readEvents, startTestServer, type TestServer } from "../helpers/server.ts";

const RUN_FIELDS = [
  "run_id",
  "workflow",
  "status",
  "input",
  "metadata",
  "interrupt",
  "output",
  "error",
  "checkpoint_id",
  "answers",
  "created_at",
  "updated_at",
].sort();

describeEachBackend("scenarios over HTTP", (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend);
  });
  afterAll(() => server.close());

  const start = (workflow: string, input: unknown, extra: Record<string, unknown> = {}) =>
    server.call("POST", `/v1/workflows/${workflow}/runs`, { body: { input, ...extra } });

  test("scenario 1: overage → approval → checkout with the exact usage, made once", async () => {
    const started = await start("overage-remediation", OVERAGE_INPUT, {
      metadata: { ticket: "T-1" },
    });
    expect(started.status).toBe(201);
    const run = started.json;
    expect(Object.keys(run).sort()).toEqual(RUN_FIELDS);
    expect(run).toMatchObject({
      workflow: "overage-remediation",
      status: "interrupted",
      metadata: { ticket: "T-1" },
      output: null,
      error: null,
    });
    expect(run.input).toMatchObject({ ...OVERAGE_INPUT, window_days: 30, require_approval: true });
    expect(run.interrupt).toMatchObject({
      node: "approve_checkout",
      kind: "approval",
      message: expect.stringContaining("150%"),
      proposed_action: { action: "create_checkout", usage_total: 15000, usage_limit: 10000 },
      resume_schema: { type: "object", required: ["approved"] },
    });
    expect(run.interrupt.id).toEqual(expect.any(String));
    expect(run.checkpoint_id).toEqual(expect.any(String));

    const shown = await server.call("GET", `/v1/runs/${run.run_id}`);
    expect(shown.status).toBe(200);
    expect(shown.json).toEqual(run);

    const resumed = await server.call("POST", `/v1/runs/${run.run_id}/resume`, {
      body: { resume: { approved: true, note: "ok by finance" }, interrupt_id: run.interrupt.id },
    });
    expect(resumed.status).toBe(200);
    expect(resumed.json.status).toBe("completed");
    expect(resumed.json.interrupt).toBeNull();
    const output = resumed.json.output;
    expect(output.outcome).toBe("checkout_created");
    expect(output.customer).toMatchObject({
      external_id: "external_usr_881",
      email: "ada@example.com",
    });
    expect(output.subscription).toMatchObject({ product_name: "Starter", status: "active" });
    expect(output.usage).toMatchObject({ total: 15000, limit: 10000, pct: 150, source: "events" });
    expect(output.usage.by_group).toEqual({
      "/v1/search": 7000,
      "/v1/embed": 5000,
      "/v1/chat": 3000,
    });
    expect(output.checkout).toMatchObject({ id: expect.any(String), url: expect.any(String) });
    expect(output.email).toMatchObject({ generated_by: "template" });

    const checkouts = checkoutsCreatedFor(server.simulator.requests(), run.run_id);
    expect(checkouts).toHaveLength(1);
    expect(checkouts[0]!.body).toMatchObject({ customer_id: output.customer.id });
    expect(checkouts[0]!.body).not.toHaveProperty("external_customer_id");
  });

  test("scenario 1 without approval creates the checkout in one request", async () => {
    const { status, json } = await start("overage-remediation", {
      ...OVERAGE_INPUT,
      require_approval: false,
    });
    expect(status).toBe(201);
    expect(json).toMatchObject({
      status: "completed",
      interrupt: null,
      output: { outcome: "checkout_created" },
    });
    expect(checkoutsCreatedFor(server.simulator.requests(), json.run_id)).toHaveLength(1);
  });

  test("scenario 1 rejected at the approval creates nothing", async () => {
    const { json: run } = await start("overage-remediation", OVERAGE_INPUT);
    const { status, json } = await server.call("POST", `/v1/runs/${run.run_id}/resume`, {
      body: { resume: { approved: false, note: "not this month" } },
    });
    expect(status).toBe(200);
    expect(json).toMatchObject({
      status: "completed",
      output: { outcome: "rejected", checkout: null },
    });
    expect(checkoutsCreatedFor(server.simulator.requests(), run.run_id)).toHaveLength(0);
  });

  test("scenario 2: offboarding → approval → cancellation at the end of the period", async () => {
    server.simulator.reset();
    const { json: rejectedRun } = await start("subscription-offboarding", OFFBOARDING_INPUT);
    expect(rejectedRun.interrupt).toMatchObject({ node: "approve_cancellation", kind: "approval" });
    const rejected = await server.call("POST", `/v1/runs/${rejectedRun.run_id}/resume`, {
      body: { resume: { approved: false } },
    });
    expect(rejected.json.output.outcome).toBe("rejected");
    expect(server.simulator.requests().filter((r) => r.method === "PATCH")).toHaveLength(0);

    const { json: run } = await start("subscription-offboarding", OFFBOARDING_INPUT);
    expect(run.status).toBe("interrupted");
    const { json } = await server.call("POST", `/v1/runs/${run.run_id}/resume`, {
      body: { resume: { approved: true } },
    });
    expect(json.status).toBe("completed");
    expect(json.output).toMatchObject({
      outcome: "cancellation_scheduled",
      customer: { external_id: "usr_offboard_1" },
      subscription: { product_name: "Pro", cancel_at_period_end: true },
    });
    expect(json.output.message).toContain("access");
    const patches = server.simulator.requests().filter((r) => r.method === "PATCH");
    expect(patches).toHaveLength(1);
    expect(patches[0]!.body).toMatchObject({
      cancel_at_period_end: true,
      customer_cancellation_reason: "too_expensive",
    });

    // Already scheduled now: with approval off the run ends at once and sends nothing more.
    const again = await start("subscription-offboarding", {
      ...OFFBOARDING_INPUT,
      require_approval: false,
    });
    expect(again.json).toMatchObject({
      status: "completed",
      output: { outcome: "already_scheduled" },
    });
    expect(server.simulator.requests().filter((r) => r.method === "PATCH")).toHaveLength(1);
  });

  test("checkpoint history, newest first, and the state at one checkpoint", async () => {
    const { json: run } = await start("overage-remediation", OVERAGE_INPUT);
    await server.call("POST", `/v1/runs/${run.run_id}/resume`, {
      body: { resume: { approved: true } },
    });

    const { status, json } = await server.call(
      "GET",
      `/v1/runs/${run.run_id}/checkpoints?limit=100`,
    );
    expect(status).toBe(200);
    const history = json.checkpoints;
    // input, then one checkpoint per step: resolve, check, sum, approve (paused), approve, create, draft.
    expect(history.length).toBeGreaterThanOrEqual(7);
    const steps = history.map((c: { step: number }) => c.step);
    expect(steps).toEqual([...steps].sort((a, b) => b - a));
    for (const [index, checkpoint] of history.entries()) {
      expect(Object.keys(checkpoint).sort()).toEqual(
        [
          "checkpoint_id",
          "parent_checkpoint_id",
          "step",
          "source",
          "ran",
          "next",
          "created_at",
        ].sort(),
      );
      const older = history[index + 1];
      if (older) {
        expect(checkpoint.parent_checkpoint_id).toBe(older.checkpoint_id);
        expect(checkpoint.ran).toEqual(older.next);
      }
    }
    const input = history.at(-1);
    expect(input).toMatchObject({ source: "input", step: -1, ran: [], parent_checkpoint_id: null });
    expect(history[0]).toMatchObject({ ran: ["draft_email"], next: [] });
    expect(history.flatMap((c: { ran: string[] }) => c.ran)).toEqual(
      expect.arrayContaining([
        "resolve_customer",
        "sum_usage",
        "approve_checkout",
        "create_checkout",
      ]),
    );

    // Paging with `before`.
    const page1 = await server.call("GET", `/v1/runs/${run.run_id}/checkpoints?limit=2`);
    expect(page1.json.checkpoints.map((c: { checkpoint_id: string }) => c.checkpoint_id)).toEqual(
      history.slice(0, 2).map((c: { checkpoint_id: string }) => c.checkpoint_id),
    );
    const page2 = await server.call(
      "GET",
      `/v1/runs/${run.run_id}/checkpoints?limit=2&before=${page1.json.checkpoints[1].checkpoint_id}`,
    );
    expect(page2.json.checkpoints).toEqual(history.slice(2, 4));

    // The state where the run waited for approval.
    const paused = history.find(
      (c: { next: string[]; ran: string[] }) =>
        c.next.includes("approve_checkout") && c.ran.includes("sum_usage"),
    );
    expect(paused).toBeDefined();
    const one = await server.call(
      "GET",
      `/v1/runs/${run.run_id}/checkpoints/${paused.checkpoint_id}`,
    );
    expect(one.status).toBe(200);
    expect(Object.keys(one.json).sort()).toEqual(
      [
        "checkpoint_id",
        "parent_checkpoint_id",
        "step",
        "values",
        "next",
        "interrupts",
        "created_at",
      ].sort(),
    );
    expect(one.json).toMatchObject({
      checkpoint_id: paused.checkpoint_id,
      step: paused.step,
      next: ["approve_checkout"],
      values: { usage: { total: 15000, pct: 150 }, checkout: null, approval: null },
    });
    expect(one.json.interrupts).toEqual([
      expect.objectContaining({ node: "approve_checkout", kind: "approval" }),
    ]);

    const missing = await server.call(
      "GET",
      `/v1/runs/${run.run_id}/checkpoints/1f0aaaaa-0000-6000-8000-000000000000`,
    );
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toContain("application/problem+json");
  });

  test("listing runs: filters, limit and cursor", async () => {
    const offboarding = await start("subscription-offboarding", {
      ...OFFBOARDING_INPUT,
      require_approval: false,
    });
    expect(offboarding.status).toBe(201);

    const all: { run_id: string; workflow: string; status: string; created_at: string }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `/v1/runs?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const { status, json } = await server.call("GET", query);
      expect(status).toBe(200);
      expect(json.runs.length).toBeLessThanOrEqual(2);
      all.push(...json.runs);
      cursor = json.next_cursor;
      pages += 1;
    } while (cursor && pages < 50);
    expect(new Set(all.map((run) => run.run_id)).size).toBe(all.length);
    expect(all.length).toBeGreaterThanOrEqual(8);
    const created = all.map((run) => run.created_at);
    expect(created).toEqual([...created].sort().reverse());

    const overage = await server.call("GET", "/v1/runs?workflow=overage-remediation&limit=100");
    expect(overage.json.runs.length).toBe(
      all.filter((run) => run.workflow === "overage-remediation").length,
    );
    expect(
      overage.json.runs.every(
        (run: { workflow: string }) => run.workflow === "overage-remediation",
      ),
    ).toBe(true);

    const completedOffboarding = await server.call(
      "GET",
      "/v1/runs?workflow=subscription-offboarding&status=completed&limit=100",
    );
    expect(completedOffboarding.json.runs.map((run: { run_id: string }) => run.run_id)).toContain(
      offboarding.json.run_id,
    );
    expect(
      completedOffboarding.json.runs.every(
        (run: { workflow: string; status: string }) =>
          run.workflow === "subscription-offboarding" && run.status === "completed",
      ),
    ).toBe(true);
  });

  test("server-sent events: status, node and interrupt events; Last-Event-ID replays only later ones", async () => {
    const { json: run } = await start("overage-remediation", OVERAGE_INPUT);
    const first = await readEvents(server, run.run_id);
    expect(first.status).toBe(200);
    expect(first.contentType).toContain("text/event-stream");
    const kinds = first.events.map((event) =>
      event.event === "status" ? `status:${event.data.status}` : event.event,
    );
    expect(kinds[0]).toBe("status:queued");
    expect(kinds.at(-1)).toBe("status:interrupted");
    expect(kinds).toContain("status:running");
    expect(kinds).toContain("interrupt");
    const nodes = first.events
      .filter((event) => event.event === "node")
      .map((event) => event.data.node);
    expect(nodes).toEqual(["resolve_customer", "check_subscription", "sum_usage"]);
    const ids = first.events.map((event) => Number(event.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);

    // Live: a stream opened while the run goes on carries the rest, and ends when the run ends.
    const lastSeen = first.events.at(-1)!.id;
    const resumed = await server.call("POST", `/v1/runs/${run.run_id}/resume`, {
      body: { resume: { approved: true }, wait: false },
    });
    expect(resumed.json.status).toBe("running");
    const rest = await readEvents(server, run.run_id, { lastEventId: lastSeen });
    expect(rest.events.every((event) => Number(event.id) > Number(lastSeen))).toBe(true);
    expect(
      rest.events.map((event) =>
        event.event === "node"
          ? event.data.node
          : event.event === "answer"
            ? `answer:${event.data.action}`
            : event.data.status,
      ),
    ).toEqual([
      "answer:approved",
      "running",
      "approve_checkout",
      "create_checkout",
      "draft_email",
      "completed",
    ]);

    // Replay from the middle: exactly the events after that id.
    const everything = await readEvents(server, run.run_id);
    const middle = everything.events[3]!;
    const replay = await readEvents(server, run.run_id, { lastEventId: middle.id });
    expect(replay.events).toEqual(everything.events.slice(4));
    // Nothing after the last one: the stream ends at once.
    const none = await readEvents(server, run.run_id, {
      lastEventId: everything.events.at(-1)!.id,
    });
    expect(none.events).toEqual([]);
  });
});
