import { randomUUID } from "node:crypto";
import { Annotation, Command, END, interrupt, START, StateGraph } from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { expect, test } from "vitest";
import { createStorage, type Storage } from "../../storage/index.ts";
import { describeEachBackend, type TestBackend } from "../helpers/backends.ts";

const State = Annotation.Root({
  count: Annotation<number>,
  trail: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  approved: Annotation<boolean | null>({ reducer: (_, b) => b, default: () => null }),
});

/** increment → approve (an interrupt) → double. */
function compileGraph(checkpointer: BaseCheckpointSaver) {
  return new StateGraph(State)
    .addNode("increment", (state) => ({ count: state.count + 1, trail: ["increment"] }))
    .addNode("approve", () => ({
      approved: interrupt({ question: "double it?" }) as boolean,
      trail: ["approve"],
    }))
    .addNode("double", (state) => ({
      count: state.approved ? state.count * 2 : state.count,
      trail: ["double"],
    }))
    .addEdge(START, "increment")
    .addEdge("increment", "approve")
    .addEdge("approve", "double")
    .addEdge("double", END)
    .compile({ checkpointer });
}

async function withStorage<T>(backend: TestBackend, use: (s: Storage) => Promise<T>): Promise<T> {
  const storage = await backend.open();
  try {
    return await use(storage);
  } finally {
    await storage.close();
  }
}

describeEachBackend("storage", (backend) => {
  test("two storages opened at once on a new store migrate it once and share it", async () => {
    const [a, b] = await Promise.all([backend.open(), backend.open()]);
    try {
      const { run } = await a.runs.create({ tenant: "t", workflow: "w", input: {}, metadata: {} });
      expect(await b.runs.get("t", run.run_id)).toEqual(run);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test("checkpoints and runs survive closing and reopening the storage", async () => {
    const runId = randomUUID();
    const config = { configurable: { thread_id: runId } };

    const paused = await withStorage(backend, async (storage) => {
      expect(storage.kind).toBe(backend.kind);
      await storage.runs.create({
        run_id: runId,
        tenant: "t",
        workflow: "tiny",
        input: {},
        metadata: {},
      });
      const graph = compileGraph(storage.checkpointer);
      await graph.invoke({ count: 1 }, { ...config, durability: "sync" });

      const state = await graph.getState(config);
      expect(state.next).toEqual(["approve"]);
      expect(state.tasks[0].interrupts).toHaveLength(1);
      const checkpointId = state.config.configurable?.checkpoint_id as string;
      await storage.runs.transition(runId, {
        from: ["queued"],
        to: "interrupted",
        set: { interrupt: state.tasks[0].interrupts[0].value, checkpoint_id: checkpointId },
      });
      return { checkpointId, values: state.values };
    });
    expect(paused.values).toEqual({ count: 2, trail: ["increment"], approved: null });

    await withStorage(backend, async (storage) => {
      const run = await storage.runs.get("t", runId);
      expect(run).toMatchObject({
        status: "interrupted",
        interrupt: { question: "double it?" },
        checkpoint_id: paused.checkpointId,
      });

      const graph = compileGraph(storage.checkpointer);
      const before = await graph.getState(config);
      expect(before.config.configurable?.checkpoint_id).toBe(paused.checkpointId);
      expect(before.values).toEqual(paused.values);

      const final = await graph.invoke(new Command({ resume: true }), {
        ...config,
        durability: "sync",
      });
      expect(final).toEqual({
        count: 4,
        trail: ["increment", "approve", "double"],
        approved: true,
      });
    });

    await withStorage(backend, async (storage) => {
      const graph = compileGraph(storage.checkpointer);
      const history = [];
      for await (const snapshot of graph.getStateHistory(config)) history.push(snapshot);
      // Newest first: the input checkpoint (-1), then one per superstep.
      expect(history.map((s) => s.metadata?.step)).toEqual([3, 2, 1, 0, -1]);
      expect(history[0].values).toEqual({
        count: 4,
        trail: ["increment", "approve", "double"],
        approved: true,
      });
      expect(history[0].next).toEqual([]);
      expect(history.map((s) => s.config.configurable?.checkpoint_id)).toContain(
        paused.checkpointId,
      );
    });
  });

  test("ping answers while open and fails after close; close is idempotent", async () => {
    const storage = await backend.open();
    await expect(storage.ping()).resolves.toBeUndefined();
    await storage.close();
    await storage.close();
    await expect(storage.ping()).rejects.toThrow();
  });
});

test("createStorage refuses a database URL that is not PostgreSQL", async () => {
  await expect(createStorage({ databaseUrl: "mysql://x", dataDir: "unused" })).rejects.toThrow(
    /postgres/,
  );
});

test("createStorage refuses a schema name that is not a plain identifier", async () => {
  await expect(
    createStorage({ databaseUrl: "postgres://nowhere/db", dataDir: "unused", schema: 'x"; --' }),
  ).rejects.toThrow(/schema/);
});
