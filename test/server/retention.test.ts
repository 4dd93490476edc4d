/**
 * Checkpoint retention over HTTP, on both stores: a pruned run's history
 * (`GET /v1/runs/{id}/checkpoints`) is exactly its final checkpoint; with
 * `CHECKPOINT_RETENTION_DAYS=0` a run is pruned soon after it finishes, while an interrupted one
 * keeps its history and still resumes (and is pruned once it finishes).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { METER } from "../../polar/simulator/seed.ts";
import { describeEachBackend } from "../helpers/backends.ts";
import { OVERAGE_INPUT } from "../helpers/scenarios.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const meterRun = (requireApproval: boolean) => ({
  input: {
    ...OVERAGE_INPUT,
    usage: { meter_id: METER.id },
    limit: undefined,
    require_approval: requireApproval,
  },
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startRun(server: TestServer, requireApproval: boolean) {
  const started = await server.call("POST", "/v1/workflows/overage-remediation/runs", {
    body: meterRun(requireApproval),
  });
  expect(started.status).toBe(201);
  return started.json as { run_id: string; status: string };
}
async function checkpointsOf(server: TestServer, runId: string) {
  const answer = await server.call("GET", `/v1/runs/${runId}/checkpoints?limit=100`);
  expect(answer.status).toBe(200);
  return answer.json.checkpoints as { checkpoint_id: string; next: string[] }[];
}

// A store per retention setting: one replica holds the pruning turn (`maintenance_leases`).
describeEachBackend("checkpoint retention over HTTP", (backend) => {
  describe("the default retention", () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(backend);
    });
    afterAll(() => server.close());

    it("a pruned run answers exactly its final checkpoint, with the run's output", async () => {
      const run = await startRun(server, false);
      expect(run.status).toBe("completed");
      const before = await checkpointsOf(server, run.run_id);
      expect(before.length).toBeGreaterThan(1);
      const final = before[0]!;

      const pruned = await server.storage.retention.prune({
        finishedBeforeMs: 0,
        limit: 10,
        owner: server.app.runService.owner, // the turn this replica's pruner holds
        leaseMs: 60_000,
      });
      expect(pruned.runs).toBe(1);

      const after = await checkpointsOf(server, run.run_id);
      // What produced it (`ran`) is read from its parent, which pruning removed.
      expect(after).toEqual([{ ...final, ran: [] }]);
      expect(final.next).toEqual([]);
      const state = await server.call(
        "GET",
        `/v1/runs/${run.run_id}/checkpoints/${final.checkpoint_id}`,
      );
      expect(state.status).toBe(200);
      const record = (await server.call("GET", `/v1/runs/${run.run_id}`)).json;
      expect(record.output.outcome).toBe("checkout_created");
      expect(state.json.values.outcome ?? state.json.values.output?.outcome).toBe(
        "checkout_created",
      );
    });
  });
});

describeEachBackend("checkpoint retention 0 over HTTP", (backend) => {
  describe("CHECKPOINT_RETENTION_DAYS=0", () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(backend, { env: { CHECKPOINT_RETENTION_DAYS: "0" } });
    });
    afterAll(() => server.close());

    /** Polls the history until it is down to one checkpoint; how long that took. */
    async function prunedWithin(runId: string, boundMs: number): Promise<number> {
      const started = Date.now();
      while (Date.now() - started < boundMs) {
        if ((await checkpointsOf(server, runId)).length === 1) return Date.now() - started;
        await sleep(50);
      }
      throw new Error(`run ${runId} was not pruned within ${boundMs} ms`);
    }

    it("a finished run is pruned soon; an interrupted one is not, and still resumes", async () => {
      const waiting = await startRun(server, true);
      expect(waiting.status).toBe("interrupted");
      const waitingHistory = await checkpointsOf(server, waiting.run_id);
      expect(waitingHistory.length).toBeGreaterThan(1);

      const finished = await startRun(server, false);
      expect(finished.status).toBe("completed");
      const finishedMs = await prunedWithin(finished.run_id, 10_000);
      // The pruning that took the finished run's history left the interrupted one whole.
      expect(await checkpointsOf(server, waiting.run_id)).toEqual(waitingHistory);

      const resumed = await server.call("POST", `/v1/runs/${waiting.run_id}/resume`, {
        body: { resume: { approved: true } },
      });
      expect(resumed.status).toBe(200);
      expect(resumed.json).toMatchObject({
        status: "completed",
        output: { outcome: "checkout_created" },
      });
      const resumedMs = await prunedWithin(waiting.run_id, 10_000);
      console.log(
        `retention 0 (${backend.kind}): finished run pruned ${finishedMs} ms after it finished; resumed run ${resumedMs} ms`,
      );
    });
  });
});
