import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  InvalidCursorError,
  type RunRecord,
  type RunRegistry,
  type Storage,
} from "../../storage/index.ts";
import { describeEachBackend } from "../helpers/backends.ts";

const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Every test works in a tenant of its own, so the tests share one store without interfering. */
const newTenant = () => `tenant-${randomUUID()}`;

function byNewest(a: RunRecord, b: RunRecord): number {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? 1 : -1;
  return a.run_id < b.run_id ? 1 : -1;
}

describeEachBackend("run registry", (backend) => {
  let storage: Storage;
  let runs: RunRegistry;
  beforeAll(async () => {
    storage = await backend.open();
    runs = storage.runs;
  });
  afterAll(() => storage.close());

  test("create and get, scoped to the tenant", async () => {
    const tenant = newTenant();
    const input = { customer: { external_id: "usr_1" }, limit: 10_000, note: "naïve ✓" };
    const { run, created } = await runs.create({
      tenant,
      workflow: "overage-remediation",
      input,
      metadata: { source: "test" },
    });

    expect(created).toBe(true);
    expect(run).toMatchObject({
      tenant,
      workflow: "overage-remediation",
      status: "queued",
      input,
      metadata: { source: "test" },
      interrupt: null,
      output: null,
      error: null,
      checkpoint_id: null,
      idempotency_key: null,
      request_hash: null,
    });
    expect(run.run_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(run.created_at).toMatch(ISO_MILLIS);
    expect(run.updated_at).toBe(run.created_at);

    expect(await runs.get(tenant, run.run_id)).toEqual(run);
    expect(await runs.get(newTenant(), run.run_id)).toBeNull();
    expect(await runs.get(tenant, randomUUID())).toBeNull();
  });

  test("create takes a run id and an initial status", async () => {
    const tenant = newTenant();
    const runId = randomUUID();
    const { run } = await runs.create({
      run_id: runId,
      tenant,
      workflow: "w",
      input: null,
      metadata: {},
      status: "running",
    });
    expect(run).toMatchObject({ run_id: runId, status: "running", input: null });
    await expect(
      runs.create({ run_id: runId, tenant, workflow: "w", input: {}, metadata: {} }),
    ).rejects.toThrow();
  });

  test("an idempotency key inserts once and then returns the existing run", async () => {
    const tenant = newTenant();
    const first = await runs.create({
      tenant,
      workflow: "w",
      input: { n: 1 },
      metadata: {},
      idempotency_key: "key-1",
      request_hash: "hash-a",
    });
    const repeat = await runs.create({
      tenant,
      workflow: "w",
      input: { n: 2 },
      metadata: {},
      idempotency_key: "key-1",
      request_hash: "hash-b",
    });
    const otherTenant = await runs.create({
      tenant: newTenant(),
      workflow: "w",
      input: { n: 1 },
      metadata: {},
      idempotency_key: "key-1",
    });

    expect(first.created).toBe(true);
    expect(repeat).toEqual({ run: first.run, created: false });
    expect(repeat.run.request_hash).toBe("hash-a");
    expect(otherTenant.created).toBe(true);
    expect(otherTenant.run.run_id).not.toBe(first.run.run_id);
  });

  test("concurrent creates with one idempotency key create exactly one run", async () => {
    const tenant = newTenant();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        runs.create({
          tenant,
          workflow: "w",
          input: { attempt: i },
          metadata: {},
          idempotency_key: "same",
        }),
      ),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.run.run_id)).size).toBe(1);
    expect((await runs.list({ tenant, limit: 100 })).runs).toHaveLength(1);
  });

  test("list filters by workflow and status, newest first", async () => {
    const tenant = newTenant();
    for (const [workflow, status] of [
      ["a", "queued"],
      ["b", "completed"],
      ["a", "completed"],
      ["b", "queued"],
    ] as const) {
      await runs.create({ tenant, workflow, status, input: {}, metadata: {} });
    }
    await runs.create({ tenant: newTenant(), workflow: "a", input: {}, metadata: {} });

    const all = await runs.list({ tenant, limit: 10 });
    expect(all.next_cursor).toBeNull();
    expect(all.runs).toHaveLength(4);
    expect(all.runs).toEqual([...all.runs].sort(byNewest));

    const a = await runs.list({ tenant, workflow: "a", limit: 10 });
    expect(a.runs.map((r) => r.workflow)).toEqual(["a", "a"]);
    const completed = await runs.list({ tenant, status: "completed", limit: 10 });
    expect(completed.runs.map((r) => r.status)).toEqual(["completed", "completed"]);
    const both = await runs.list({ tenant, workflow: "b", status: "queued", limit: 10 });
    expect(both.runs.map((r) => [r.workflow, r.status])).toEqual([["b", "queued"]]);
  });

  test("list filters by the input's customer: its external id or Polar id, exactly", async () => {
    const tenant = newTenant();
    const polarId = randomUUID();
    for (const customer of [
      { external_id: "usr_1" },
      { id: polarId },
      { external_id: "usr_10" },
      { external_id: "usr_1'); --" },
    ]) {
      await runs.create({ tenant, workflow: "a", input: { customer }, metadata: {} });
    }
    await runs.create({ tenant, workflow: "a", input: {}, metadata: {} });
    const customers = async (customer: string) =>
      (await runs.list({ tenant, customer, limit: 10 })).runs.map(
        (run) => (run.input as { customer?: unknown }).customer,
      );
    expect(await customers("usr_1")).toEqual([{ external_id: "usr_1" }]);
    expect(await customers(polarId)).toEqual([{ id: polarId }]);
    expect(await customers("usr_1'); --")).toEqual([{ external_id: "usr_1'); --" }]);
    expect(await customers("usr")).toEqual([]);
  });

  test("cursor pagination over 250 runs has no gaps or repeats, even with inserts between pages", async () => {
    const tenant = newTenant();
    const created: RunRecord[] = [];
    for (let i = 0; i < 250; i++) {
      created.push((await runs.create({ tenant, workflow: "w", input: { i }, metadata: {} })).run);
    }
    const expected = created.sort(byNewest).map((r) => r.run_id);

    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 20; page++) {
      const result = await runs.list({ tenant, limit: 40, cursor });
      seen.push(...result.runs.map((r) => r.run_id));
      // Newer runs land before the cursor and must not disturb the pages after it.
      await runs.create({ tenant, workflow: "w", input: { late: page }, metadata: {} });
      if (result.next_cursor === null) break;
      cursor = result.next_cursor;
    }
    expect(seen).toEqual(expected);
  });

  test("an exact last page has no next cursor", async () => {
    const tenant = newTenant();
    for (let i = 0; i < 4; i++)
      await runs.create({ tenant, workflow: "w", input: {}, metadata: {} });
    const first = await runs.list({ tenant, limit: 2 });
    const second = await runs.list({ tenant, limit: 2, cursor: first.next_cursor ?? undefined });
    expect(first.next_cursor).not.toBeNull();
    expect(second.runs).toHaveLength(2);
    expect(second.next_cursor).toBeNull();
  });

  test("a cursor the registry did not issue is an InvalidCursorError", async () => {
    const tenant = newTenant();
    const encode = (text: string) => Buffer.from(text).toString("base64url");
    for (const cursor of [
      "",
      "not a cursor!",
      encode("nothing to split"),
      encode(`2026-13-45T99:00:00.000Z|${randomUUID()}`),
      encode("2026-01-01T00:00:00Z|run"),
      encode("2026-01-01T00:00:00.000Z|"),
      `${encode(`2026-01-01T00:00:00.000Z|${randomUUID()}`)}*`,
    ]) {
      await expect(runs.list({ tenant, limit: 10, cursor })).rejects.toBeInstanceOf(
        InvalidCursorError,
      );
    }
    await expect(runs.list({ tenant, limit: 0 })).rejects.toThrow(RangeError);
  });

  test("transition is a compare-and-set: of 20 concurrent resumes exactly one wins", async () => {
    const tenant = newTenant();
    const { run } = await runs.create({
      tenant,
      workflow: "w",
      input: {},
      metadata: {},
      status: "interrupted",
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        runs.transition(run.run_id, {
          from: ["interrupted"],
          to: "running",
          set: { interrupt: null, metadata: { winner: i } },
        }),
      ),
    );
    const winners = results.filter((r) => r !== null);
    expect(winners).toHaveLength(1);
    expect(winners[0]).toMatchObject({ status: "running", interrupt: null });
    expect(await runs.get(tenant, run.run_id)).toEqual(winners[0]);
  });

  test("transition sets fields, bumps updated_at, and refuses other statuses", async () => {
    const tenant = newTenant();
    const { run } = await runs.create({ tenant, workflow: "w", input: {}, metadata: { a: 1 } });
    const interrupt = { id: "i-1", node: "approve_checkout", kind: "approval" };

    const interrupted = await runs.transition(run.run_id, {
      from: ["queued", "running"],
      to: "interrupted",
      set: { interrupt, checkpoint_id: "cp-1" },
    });
    expect(interrupted).toMatchObject({
      status: "interrupted",
      interrupt,
      checkpoint_id: "cp-1",
      metadata: { a: 1 },
    });
    expect(interrupted!.updated_at >= run.updated_at).toBe(true);

    expect(await runs.transition(run.run_id, { from: ["queued"], to: "running" })).toBeNull();
    expect(await runs.transition(randomUUID(), { from: ["queued"], to: "running" })).toBeNull();

    const error = { code: "polar_rate_limited", message: "429", retryable: true };
    const failed = await runs.transition(run.run_id, {
      from: ["interrupted"],
      to: "failed",
      set: { interrupt: null, error },
    });
    expect(failed).toMatchObject({
      status: "failed",
      interrupt: null,
      error,
      checkpoint_id: "cp-1",
    });
  });

  test("a transition's patch replaces JSON fields and the checkpoint id; an unknown run is null", async () => {
    const tenant = newTenant();
    const { run } = await runs.create({ tenant, workflow: "w", input: {}, metadata: {} });
    const output = { outcome: "checkout_created", usage: { total: 15_000, pct: 150.5 } };
    const set = { output, checkpoint_id: "cp-9" };
    const updated = await runs.transition(run.run_id, { from: ["queued"], to: "queued", set });
    expect(updated).toMatchObject({ status: "queued", output, checkpoint_id: "cp-9" });
    expect(updated!.updated_at >= run.updated_at).toBe(true);
    expect(await runs.get(tenant, run.run_id)).toEqual(updated);
    const unknown = await runs.transition(randomUUID(), { from: ["queued"], to: "queued", set });
    expect(unknown).toBeNull();
  });
});
