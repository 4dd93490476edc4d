/**
 * Checkpoint retention on both stores: a finished run keeps only its final checkpoint (its
 * output still reads back), with rows and bytes measured before and after; a run waiting for a
 * person is untouched and still resumes; one replica prunes at a time.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { METER } from "../../polar/simulator/seed.ts";
import type { Storage } from "../../storage/index.ts";
import { describeEachBackend } from "../helpers/backends.ts";
import { gatewayFor, startTestPolar, type TestSimulator } from "../helpers/polar.ts";
import { OVERAGE_INPUT } from "../helpers/scenarios.ts";
import { type WorkflowHarness, workflowHarness } from "../workflows/harness.ts";

const meterInput = (requireApproval: boolean) => ({
  ...OVERAGE_INPUT,
  usage: { meter_id: METER.id },
  limit: undefined,
  require_approval: requireApproval,
});

describeEachBackend("checkpoint retention", (backend) => {
  let storage: Storage;
  let simulator: TestSimulator;
  let runs: WorkflowHarness;
  beforeAll(async () => {
    storage = await backend.open();
    ({ simulator } = await startTestPolar());
    runs = workflowHarness(storage, () => ({ polar: gatewayFor(simulator) }));
  });
  afterAll(async () => {
    await simulator.close();
    await storage.close();
  });

  it("finished runs keep their final checkpoint; waiting runs keep all and still resume", async () => {
    const finished = await runs.start("overage-remediation", meterInput(false));
    expect(finished.result.status).toBe("completed");
    const waiting = await runs.start("overage-remediation", meterInput(true));
    expect(waiting.result.status).toBe("interrupted");
    const graph = runs.graph("overage-remediation");
    const history = async (runId: string) => {
      const states = [];
      for await (const state of graph.getStateHistory({ configurable: { thread_id: runId } }))
        states.push(state);
      return states;
    };
    const before = await storage.retention.footprint(finished.runId);
    const waitingBefore = await storage.retention.footprint(waiting.runId);
    const finalValues = (await graph.getState({ configurable: { thread_id: finished.runId } }))
      .values;

    // Not yet old enough: nothing goes.
    const young = await storage.retention.prune({
      finishedBeforeMs: 3_600_000,
      limit: 10,
      owner: "replica-a",
      leaseMs: 60_000,
    });
    expect(young.runs).toBe(0);
    // Another replica has the turn: it waits.
    const other = await storage.retention.prune({
      finishedBeforeMs: 0,
      limit: 10,
      owner: "replica-b",
      leaseMs: 60_000,
    });
    expect(other).toEqual({ runs: 0, checkpoints: 0 });

    const pruned = await storage.retention.prune({
      finishedBeforeMs: 0,
      limit: 10,
      owner: "replica-a",
      leaseMs: 60_000,
    });
    expect(pruned.runs).toBe(1);
    const after = await storage.retention.footprint(finished.runId);
    console.log(
      `retention (${storage.kind}): a finished overage run's checkpoints ${before.rows} rows / ${before.bytes} bytes → ${after.rows} rows / ${after.bytes} bytes`,
    );
    expect(after.rows).toBeLessThan(before.rows);
    expect(after.bytes).toBeLessThan(before.bytes);
    expect(await history(finished.runId)).toHaveLength(1);
    const kept = await graph.getState({ configurable: { thread_id: finished.runId } });
    expect(kept.values).toEqual(finalValues);
    expect(kept.next).toEqual([]);

    expect(await storage.retention.footprint(waiting.runId)).toEqual(waitingBefore);
    const resumed = await runs.resume(waiting.runId, { approved: true });
    expect(resumed).toMatchObject({
      status: "completed",
      output: { outcome: "checkout_created" },
    });

    // Pruned once: a second pass finds nothing more to do for that run.
    const again = await storage.retention.prune({
      finishedBeforeMs: 0,
      limit: 10,
      owner: "replica-a",
      leaseMs: 60_000,
    });
    expect(again.runs).toBe(1); // the resumed run, now finished
    expect(await storage.retention.footprint(finished.runId)).toEqual(after);
  });
});
