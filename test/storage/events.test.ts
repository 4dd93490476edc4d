import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { Storage } from "../../storage/index.ts";
import { describeEachBackend } from "../helpers/backends.ts";

const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describeEachBackend("run event log", (backend) => {
  let storage: Storage;
  beforeAll(async () => {
    storage = await backend.open();
  });
  afterAll(() => storage.close());

  test("append numbers events in order; after() replays what came after an id", async () => {
    const runId = randomUUID();
    const other = randomUUID();
    const [first] = await storage.events.append(runId, [
      { type: "status", data: { status: "queued" } },
    ]);
    await storage.events.append(other, [{ type: "status", data: { status: "queued" } }]);
    // Several in one statement keep the order they were given in.
    const [second, third] = await storage.events.append(runId, [
      { type: "node", data: { node: "a", update: { n: 1, text: "naïve ✓" } } },
      { type: "status", data: { status: "interrupted" } },
    ]);
    if (!first || !second || !third) throw new Error("expected three events");
    expect(second.data).toEqual({ node: "a", update: { n: 1, text: "naïve ✓" } });

    expect(first).toMatchObject({ run_id: runId, type: "status", data: { status: "queued" } });
    expect(first.created_at).toMatch(ISO_MILLIS);
    expect(typeof first.event_id).toBe("number");
    expect(second.event_id).toBeGreaterThan(first.event_id);
    expect(third.event_id).toBeGreaterThan(second.event_id);

    expect(await storage.events.after(runId, 0, 100)).toEqual([first, second, third]);
    expect(await storage.events.after(runId, first.event_id, 100)).toEqual([second, third]);
    expect(await storage.events.after(runId, first.event_id, 1)).toEqual([second]);
    expect(await storage.events.after(runId, third.event_id, 100)).toEqual([]);
    expect(await storage.events.latest(runId, "status")).toEqual(third);
    expect(await storage.events.latest(randomUUID(), "status")).toBeNull();
  });

  test("events survive closing and reopening the store", async () => {
    const runId = randomUUID();
    const events = await storage.events.append(runId, [
      { type: "interrupt", data: { interrupt: { id: "i1" } } },
    ]);
    const again = await backend.open();
    try {
      expect(await again.events.after(runId, 0, 10)).toEqual(events);
    } finally {
      await again.close();
    }
  });
});
