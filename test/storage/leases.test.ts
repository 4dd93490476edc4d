/**
 * The shared run queue in the store: claims (oldest first, never the same run twice at once),
 * leases that lapse and are taken over with the next generation, renewal, hand-back, and the
 * fenced checkpointer that refuses every write of an execution whose lease is gone.
 */
import { randomUUID } from "node:crypto";
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  LEASE_KEY,
  type Lease,
  LeaseLostError,
  type RunRecord,
  type Storage,
  type StoreChange,
} from "../../storage/index.ts";
import { oldestFirst } from "../../storage/registry.ts";
import { describeEachBackend } from "../helpers/backends.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const leaseOf = (run: RunRecord): Lease => ({
  run_id: run.run_id,
  owner: run.lease_owner!,
  generation: run.lease_generation,
});

describeEachBackend("run leases", (backend) => {
  let storage: Storage;
  beforeAll(async () => {
    storage = await backend.open();
  });
  afterAll(() => storage.close());

  /** Queued runs of a fresh tenant, oldest first; every test claims until its own runs are taken. */
  async function queued(count: number): Promise<string[]> {
    const tenant = `tenant-${randomUUID()}`;
    const runs: RunRecord[] = [];
    for (let i = 0; i < count; i++) {
      const { run } = await storage.runs.create({ tenant, workflow: "w", input: {}, metadata: {} });
      runs.push(run);
    }
    // Oldest first: by creation time, ties (same millisecond) broken by run id.
    runs.sort(oldestFirst);
    return runs.map((run) => run.run_id);
  }

  /** Claims everything claimable as `owner`; answers the claimed runs among `ids`. */
  async function claimAll(owner: string, ids: string[], leaseMs = 60_000): Promise<RunRecord[]> {
    const claimed = await storage.runs.claim(owner, 1_000, leaseMs);
    return claimed.filter((run) => ids.includes(run.run_id));
  }

  /** Settles runs so that later tests' claims do not see them. */
  async function finish(runs: RunRecord[]) {
    for (const run of runs) {
      await storage.runs.transition(run.run_id, { from: ["running"], to: "completed" });
    }
  }

  test("a claim leases queued runs oldest first, once; a live lease is skipped", async () => {
    const ids = await queued(3);
    const claimed = await claimAll("replica-a", ids);
    expect(claimed.map((run) => run.run_id)).toEqual(ids);
    for (const run of claimed) {
      expect(run).toMatchObject({
        status: "running",
        lease_owner: "replica-a",
        lease_generation: 1,
      });
      expect(Date.parse(run.lease_expires_at!)).toBeGreaterThan(Date.now() + 50_000);
    }
    expect(await claimAll("replica-b", ids)).toEqual([]);
    const steps = await storage.runs.steps(ids[0]!);
    expect(steps).toEqual([
      expect.objectContaining({ kind: "claim", generation: 1, owner: "replica-a" }),
    ]);
    await finish(claimed);
  });

  test("a lapsed lease is taken over with the next generation; the old holder is fenced out", async () => {
    const [id] = await queued(1);
    const [first] = await claimAll("replica-a", [id!], 1);
    await sleep(20);
    const [second] = await claimAll("replica-b", [id!]);
    expect(second).toMatchObject({
      status: "running",
      lease_owner: "replica-b",
      lease_generation: 2,
    });

    const stale = leaseOf(first!);
    expect(await storage.runs.renew([stale], 60_000)).toEqual([]);
    expect(await storage.runs.release(stale)).toBe(false);
    expect(
      await storage.runs.transition(id!, { from: ["running"], to: "completed", lease: stale }),
    ).toBeNull();

    const current = leaseOf(second!);
    expect(await storage.runs.renew([stale, current], 60_000)).toEqual([id]);
    const settled = await storage.runs.transition(id!, {
      from: ["running"],
      to: "completed",
      lease: current,
    });
    expect(settled).toMatchObject({
      status: "completed",
      lease_owner: null,
      lease_expires_at: null,
    });
    expect((await storage.runs.steps(id!)).map((s) => [s.kind, s.generation, s.owner])).toEqual([
      ["claim", 1, "replica-a"],
      ["claim", 2, "replica-b"],
    ]);
  });

  test("a released run is claimable at once; releaseAll voids every lease; a cancel ends one", async () => {
    const ids = await queued(3);
    const claimed = await claimAll("replica-a", ids);
    expect(await storage.runs.release(leaseOf(claimed[0]!))).toBe(true);
    const [taken] = await claimAll("replica-b", ids);
    expect(taken).toMatchObject({ run_id: ids[0], lease_owner: "replica-b", lease_generation: 2 });

    const cancelled = await storage.runs.transition(ids[1]!, {
      from: ["running"],
      to: "cancelled",
    });
    expect(cancelled).toMatchObject({ lease_owner: null });
    expect(await storage.runs.renew([leaseOf(claimed[1]!)], 60_000)).toEqual([]);

    expect(await storage.runs.releaseAll()).toBeGreaterThanOrEqual(2);
    const again = await claimAll("replica-c", ids);
    expect(again.map((run) => [run.run_id, run.lease_generation]).sort()).toEqual(
      [
        [ids[0], 3],
        [ids[2], 2],
      ].sort(),
    );
    await finish(again);
  });

  test("two replicas claiming at once never get the same run", async () => {
    const other = await backend.open();
    try {
      const ids = await queued(40);
      const rounds = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 ? other : storage).runs.claim(`replica-${i}`, 5, 60_000),
        ),
      );
      const mine = rounds.flat().filter((run) => ids.includes(run.run_id));
      expect(mine).toHaveLength(40);
      expect(new Set(mine.map((run) => run.run_id)).size).toBe(40);
      await finish(mine);
    } finally {
      await other.close();
    }
  });

  test("the fenced checkpointer writes under the lease only, and records each step", async () => {
    const [id] = await queued(1);
    const [claimed] = await claimAll("replica-a", [id!]);
    const lease = leaseOf(claimed!);
    let takeOver = false;
    const State = Annotation.Root({
      trail: Annotation<string[]>({ reducer: (a, b) => a.concat(b) }),
    });
    const graph = new StateGraph(State)
      .addNode("first", () => ({ trail: ["first"] }))
      .addNode("second", async () => {
        if (takeOver) {
          // The lease lapses while this step runs, and another replica takes the run.
          await storage.runs.release(lease);
          await storage.runs.claim("replica-b", 1_000, 60_000);
        }
        return { trail: ["second"] };
      })
      .addEdge(START, "first")
      .addEdge("first", "second")
      .addEdge("second", END)
      .compile({ checkpointer: storage.fencedCheckpointer(60_000) });
    const config = (held?: Lease) => ({
      configurable: { thread_id: id!, ...(held ? { [LEASE_KEY]: held } : {}) },
      durability: "sync" as const,
    });

    await expect(graph.invoke({ trail: [] }, config())).rejects.toBeInstanceOf(LeaseLostError);
    expect(
      await storage.checkpointer.getTuple({ configurable: { thread_id: id! } }),
    ).toBeUndefined();

    takeOver = true;
    await expect(graph.invoke({ trail: [] }, config(lease))).rejects.toBeInstanceOf(LeaseLostError);
    const latest = await graph.getState({ configurable: { thread_id: id! } });
    expect(latest.values.trail).toEqual(["first"]);
    const steps = await storage.runs.steps(id!);
    expect(steps.map((s) => [s.kind, s.generation, s.owner])).toEqual([
      ["claim", 1, "replica-a"],
      ["checkpoint", 1, "replica-a"],
      ["checkpoint", 1, "replica-a"],
      ["checkpoint", 1, "replica-a"],
      ["claim", 2, "replica-b"],
    ]);
    expect(steps.map((s) => s.step)).toEqual([null, -1, 0, 1, null]);
    expect(steps[3]!.checkpoint_id).toBe(latest.config.configurable?.checkpoint_id);

    // The new holder goes on from the last checkpoint.
    const [current] = (await storage.runs.steps(id!)).slice(-1);
    const next: Lease = { run_id: id!, owner: current!.owner, generation: current!.generation };
    takeOver = false;
    const done = await graph.invoke(null, config(next));
    expect(done.trail).toEqual(["first", "second"]);
  });
});

describeEachBackend("store notifications", (backend) => {
  test.skipIf(backend.kind === "sqlite")(
    "another process's new runs, events and cancels are heard, this process's own are not",
    async () => {
      const [listening, other] = await Promise.all([backend.open(), backend.open()]);
      try {
        const heard: StoreChange[] = [];
        const stop = listening.watch((change) => heard.push(change));
        await expect.poll(() => heard.some((change) => change.kind === "resync")).toBe(true);

        const { run: mine } = await listening.runs.create({
          tenant: "t",
          workflow: "w",
          input: {},
          metadata: {},
        });
        await listening.events.append(mine.run_id, [{ type: "status", data: {} }]);
        const { run: theirs } = await other.runs.create({
          tenant: "t",
          workflow: "w",
          input: {},
          metadata: {},
        });
        await other.events.append(theirs.run_id, [
          { type: "node", data: {} },
          { type: "node", data: {} },
        ]);
        await other.runs.transition(theirs.run_id, { from: ["queued"], to: "cancelled" });
        await expect
          .poll(() => heard.filter((change) => change.kind !== "resync"))
          .toEqual([
            { kind: "ready", run_id: theirs.run_id },
            { kind: "event", run_id: theirs.run_id },
            { kind: "cancelled", run_id: theirs.run_id },
          ]);
        stop();
      } finally {
        await Promise.all([listening.close(), other.close()]);
      }
    },
  );
});
