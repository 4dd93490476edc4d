/**
 * The run service's semantics through HTTP: bounded waits, idempotency keys, racing resumes,
 * answers that do not fit, cancel, and retrying a run that Polar's failures parked.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { describeEachBackend } from "../helpers/backends.ts";
import { checkoutsCreatedFor, OFFBOARDING_INPUT, OVERAGE_INPUT } from "../helpers/scenarios.ts";
import {
  eventually,
  readEvents,
  settledRun,
  startTestServer,
  type TestServer,
} from "../helpers/server.ts";

/** Gives up on Polar fast: two attempts, no waiting for a `retry-after`. */
const TINY_RETRY_POLICY = { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 10 };

describeEachBackend("runs over HTTP", (backend) => {
  let server: TestServer;
  const start = (
    input: unknown,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) =>
    server.call("POST", "/v1/workflows/overage-remediation/runs", {
      body: { input, ...extra },
      headers,
    });
  const resume = (runId: string, body: unknown) =>
    server.call("POST", `/v1/runs/${runId}/resume`, { body });
  const cancel = (runId: string) => server.call("POST", `/v1/runs/${runId}/cancel`);

  // First, on a server of its own (before any other run exists in this store, and before the
  // shared server below starts: servers on one store share its run queue): the bounded wait.
  test("wait: true answers after the bounded wait with the run still running", async () => {
    const slow = await startTestServer(backend, {
      config: { runs: { waitSeconds: 0.3, concurrency: 2 } },
      simulator: { latencyMs: 40 },
      eventKeepAliveMs: 50,
    });
    try {
      // The run takes seconds (each of its ~160 Polar requests 40 ms): the answer came first.
      const { status, json } = await slow.call("POST", "/v1/workflows/overage-remediation/runs", {
        body: { input: OVERAGE_INPUT },
      });
      expect(status).toBe(201);
      expect(json.status).toBe("running");

      // Its event stream stays open with keep-alive comments, and ends when the run does.
      const stream = readEvents(slow, json.run_id);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await slow.call("POST", `/v1/runs/${json.run_id}/cancel`)).json.status).toBe(
        "cancelled",
      );
      const { events, comments } = await stream;
      expect(comments).toBeGreaterThan(0);
      expect(events.at(-1)).toMatchObject({ event: "status", data: { status: "cancelled" } });
    } finally {
      await slow.close();
    }
  });

  describe("on one server", () => {
    beforeAll(async () => {
      server = await startTestServer(backend, { gateway: { retryPolicy: TINY_RETRY_POLICY } });
    });
    afterAll(() => server.close());

    test("wait: false answers 201 at once; the run goes on in the background", async () => {
      const { status, json } = await start(OVERAGE_INPUT, { wait: false });
      expect(status).toBe(201);
      expect(["queued", "running"]).toContain(json.status);
      const settled = await settledRun(server, json.run_id);
      expect(settled.status).toBe("interrupted");
    });

    test("Idempotency-Key: same body → 200 and the same run; other body → 422; in flight → 409", async () => {
      const key = randomUUID();
      const headers = { "idempotency-key": key };
      const [a, b] = await Promise.all([
        start(OVERAGE_INPUT, { metadata: { n: 1 } }, headers),
        start(OVERAGE_INPUT, { metadata: { n: 1 } }, headers),
      ]);
      const statuses = [a.status, b.status].sort();
      expect(statuses).toEqual([201, 409]);
      const first = a.status === 201 ? a : b;
      const inFlight = a.status === 409 ? a : b;
      expect(inFlight.json.type).toBe("urn:polar-flows:problem:idempotency-key-in-flight");
      expect(first.json.status).toBe("interrupted");

      // Repeated (wait is not part of the fingerprint; key order does not matter).
      const again = await start({ ...OVERAGE_INPUT }, { metadata: { n: 1 }, wait: false }, headers);
      expect(again.status).toBe(200);
      expect(again.json.run_id).toBe(first.json.run_id);
      const quoted = await start(
        OVERAGE_INPUT,
        { metadata: { n: 1 } },
        { "idempotency-key": `"${key}"` },
      );
      expect(quoted.status).toBe(200);
      expect(quoted.json.run_id).toBe(first.json.run_id);

      const otherBody = await start(OVERAGE_INPUT, { metadata: { n: 2 } }, headers);
      expect(otherBody.status).toBe(422);
      expect(otherBody.json).toMatchObject({
        status: 422,
        type: "urn:polar-flows:problem:idempotency-key-reused",
      });
      expect(otherBody.headers.get("content-type")).toContain("application/problem+json");

      const otherKey = await start(
        OVERAGE_INPUT,
        { metadata: { n: 1 } },
        { "idempotency-key": randomUUID() },
      );
      expect(otherKey.status).toBe(201);
      expect(otherKey.json.run_id).not.toBe(first.json.run_id);

      const listed = await server.call("GET", "/v1/runs?limit=100");
      expect(
        listed.json.runs.filter((run: { run_id: string }) => run.run_id === first.json.run_id),
      ).toHaveLength(1);
    });

    test("two concurrent resumes of one interrupt: one 200, one 409, one checkout", async () => {
      const { json: run } = await start(OVERAGE_INPUT);
      expect(run.status).toBe("interrupted");
      const answers = await Promise.all([
        resume(run.run_id, { resume: { approved: true } }),
        resume(run.run_id, { resume: { approved: true }, interrupt_id: run.interrupt.id }),
      ]);
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
      const winner = answers.find((answer) => answer.status === 200)!;
      expect(winner.json.status).toBe("completed");
      const loser = answers.find((answer) => answer.status === 409)!;
      expect(loser.json).toMatchObject({
        status: 409,
        type: "urn:polar-flows:problem:run-conflict",
      });
      expect(checkoutsCreatedFor(server.simulator.requests(), run.run_id)).toHaveLength(1);
    });

    test("an answer that does not fit the interrupt is a 400, and the run stays interrupted", async () => {
      const { json: run } = await start(OVERAGE_INPUT);

      const wrongType = await resume(run.run_id, { resume: { approved: "yes" } });
      expect(wrongType.status).toBe(400);
      expect(wrongType.json.errors).toEqual([
        { path: "resume.approved", message: expect.any(String) },
      ]);
      const unknownField = await resume(run.run_id, { resume: { approved: true, amount: 5 } });
      expect(unknownField.status).toBe(400);
      expect(unknownField.json.errors).toContainEqual({
        path: "resume.amount",
        message: "unknown field",
      });
      const nothing = await resume(run.run_id, { resume: null });
      expect(nothing.status).toBe(400);
      const otherInterrupt = await resume(run.run_id, {
        resume: { approved: true },
        interrupt_id: "not-this-one",
      });
      expect(otherInterrupt.status).toBe(409);
      const retry = await resume(run.run_id, {});
      expect(retry.status).toBe(409);
      const unknownBodyField = await resume(run.run_id, {
        resume: { approved: true },
        approve: true,
      });
      expect(unknownBodyField.status).toBe(400);

      const still = await server.call("GET", `/v1/runs/${run.run_id}`);
      expect(still.json).toMatchObject({
        status: "interrupted",
        interrupt: { id: run.interrupt.id },
      });
      expect(still.json.updated_at).toBe(run.updated_at);

      const done = await resume(run.run_id, { resume: { approved: false } });
      expect(done.json.status).toBe("completed");
      expect((await resume(run.run_id, { resume: { approved: true } })).status).toBe(409);
    });

    test("resume on a queued or running run is 409", async () => {
      server.simulator.setFaults({ latencyMs: 30 });
      try {
        const { json: run } = await start(OVERAGE_INPUT, { wait: false });
        const answer = await resume(run.run_id, { resume: { approved: true } });
        expect(answer.status).toBe(409);
        expect(answer.json.detail).toMatch(/queued|running/);
        expect((await cancel(run.run_id)).status).toBe(200);
      } finally {
        server.simulator.setFaults({ latencyMs: 0 });
      }
    });

    test("cancel: interrupted and running runs are cancelled (never overwritten); finished ones are 409", async () => {
      const { json: waiting } = await start(OVERAGE_INPUT);
      const cancelled = await cancel(waiting.run_id);
      expect(cancelled.status).toBe(200);
      expect(cancelled.json).toMatchObject({ status: "cancelled", interrupt: null });
      expect((await cancel(waiting.run_id)).status).toBe(409);
      expect((await resume(waiting.run_id, { resume: { approved: true } })).status).toBe(409);
      expect(checkoutsCreatedFor(server.simulator.requests(), waiting.run_id)).toHaveLength(0);

      // Running: aborted between Polar calls; it stays cancelled and makes no checkout.
      server.simulator.setFaults({ latencyMs: 20 });
      try {
        const { json: running } = await start(
          { ...OVERAGE_INPUT, require_approval: false },
          { wait: false },
        );
        const before = server.simulator.requests().length;
        await eventually(async () =>
          server.simulator.requests().length > before + 3 ? true : undefined,
        );
        const stopped = await cancel(running.run_id);
        expect(stopped.status).toBe(200);
        expect(stopped.json.status).toBe("cancelled");
        // The aborted step ends promptly; its result must not overwrite the cancel.
        await eventually(async () => {
          const { json } = await server.call("GET", "/v1/runs?status=running&limit=100");
          return json.runs.length === 0 ? true : undefined;
        });
        await new Promise((resolve) => setTimeout(resolve, 200));
        const after = await server.call("GET", `/v1/runs/${running.run_id}`);
        expect(after.json.status).toBe("cancelled");
        expect(checkoutsCreatedFor(server.simulator.requests(), running.run_id)).toHaveLength(0);
      } finally {
        server.simulator.setFaults({ latencyMs: 0 });
      }

      const { json: completed } = await server.call(
        "POST",
        "/v1/workflows/subscription-offboarding/runs",
        {
          body: { input: { ...OFFBOARDING_INPUT, require_approval: false } },
        },
      );
      expect(completed.status).toBe("completed");
      const refused = await cancel(completed.run_id);
      expect(refused.status).toBe(409);
      expect(refused.json.type).toBe("urn:polar-flows:problem:run-conflict");

      // Failed for good (Polar rejects an unknown meter): not retryable, not cancellable.
      const { json: failed } = await start({ ...OVERAGE_INPUT, usage: { meter_id: randomUUID() } });
      expect(failed).toMatchObject({
        status: "failed",
        error: { code: "polar_rejected", retryable: false },
      });
      expect((await cancel(failed.run_id)).status).toBe(409);
      expect((await resume(failed.run_id, {})).status).toBe(409);
    });

    test("a run parked by Polar's 503s and 429s is retried from its checkpoint with `{}`, one checkout", async () => {
      const { json: run } = await start(OVERAGE_INPUT);
      expect(run.status).toBe("interrupted");

      server.simulator.setFaults({ rate503: 1 });
      let failed: { json: { status: string; error: unknown; checkpoint_id: string } };
      try {
        failed = await resume(run.run_id, { resume: { approved: true } });
        expect(failed.json).toMatchObject({
          status: "failed",
          error: { code: "polar_unavailable", retryable: true },
        });
        expect(failed.json.checkpoint_id).toEqual(expect.any(String));

        // Still failing: it stays retryable.
        server.simulator.setFaults({ rate503: 0, rate429: 1, retryAfterSeconds: 1 });
        const again = await resume(run.run_id, {});
        expect(again.json).toMatchObject({
          status: "failed",
          error: { code: "polar_rate_limited", retryable: true },
        });
      } finally {
        server.simulator.setFaults({ rate503: 0, rate429: 0 });
      }
      // The answer was checkpointed: a retry goes on without asking again.
      const retried = await resume(run.run_id, {});
      expect(retried.status).toBe(200);
      expect(retried.json).toMatchObject({
        status: "completed",
        error: null,
        output: { outcome: "checkout_created" },
      });
      expect(checkoutsCreatedFor(server.simulator.requests(), run.run_id)).toHaveLength(1);
      expect((await resume(run.run_id, {})).status).toBe(409);

      // A retryable failure can be cancelled instead.
      const { json: other } = await start(OVERAGE_INPUT);
      server.simulator.setFaults({ rate503: 1 });
      try {
        const parked = await resume(other.run_id, { resume: { approved: true } });
        expect(parked.json.status).toBe("failed");
      } finally {
        server.simulator.setFaults({ rate503: 0 });
      }
      expect((await cancel(other.run_id)).json.status).toBe("cancelled");
      expect((await resume(other.run_id, {})).status).toBe(409);
    });

    test("unknown runs are 404 on every run route", async () => {
      const id = randomUUID();
      for (const [method, path, body] of [
        ["GET", `/v1/runs/${id}`],
        ["POST", `/v1/runs/${id}/resume`, { resume: { approved: true } }],
        ["POST", `/v1/runs/${id}/cancel`],
        ["GET", `/v1/runs/${id}/checkpoints`],
        ["GET", `/v1/runs/${id}/events`],
      ] as const) {
        const answer = await server.call(method, path, body ? { body } : {});
        expect(answer.status, `${method} ${path}`).toBe(404);
        expect(answer.headers.get("content-type")).toContain("application/problem+json");
      }
    });
  });
});
