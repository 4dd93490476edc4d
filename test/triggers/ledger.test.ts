/**
 * The store's guarantees the triggers rest on, raced for real: one remediation claim per
 * (tenant, watch, customer, billing period) however many claim at once, and one claimant per
 * schedule tick.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { Storage } from "../../storage/index.ts";
import { describeEachBackend } from "../helpers/backends.ts";

describeEachBackend("the triggers' store", (backend) => {
  let storage: Storage;
  beforeAll(async () => {
    storage = await backend.open();
  });
  afterAll(() => storage.close());

  test("twenty claims of one key at once: one is made, all answer its run id", async () => {
    const key = {
      tenant: "acme",
      watch: "starter",
      customer_id: randomUUID(),
      period_start: "2026-11-03T08:00:00.000Z",
    };
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        storage.watches.claimRemediation({
          ...key,
          run_id: randomUUID(),
          source: index % 2 ? "sweep" : "webhook",
        }),
      ),
    );
    expect(claims.filter((claim) => claim.claimed)).toHaveLength(1);
    expect(new Set(claims.map((claim) => claim.run_id)).size).toBe(1);
    // The next billing period, another watch, another tenant: each a key of its own.
    for (const other of [
      { period_start: "2026-12-03T08:00:00.000Z" },
      { watch: "other" },
      { tenant: "globex" },
    ]) {
      const claim = await storage.watches.claimRemediation({
        ...key,
        ...other,
        run_id: randomUUID(),
        source: "sweep",
      });
      expect(claim.claimed).toBe(true);
    }
  });

  test("ten claims of one schedule tick at once: one wins and moves the tick on", async () => {
    const due = "2026-12-02T08:00:00.000Z";
    await storage.watches.put({
      tenant: "acme",
      name: "hourly",
      spec: {},
      enabled: true,
      schedule: "0 * * * *",
      next_sweep_at: due,
    });
    expect((await storage.watches.due("2026-12-02T07:59:59.999Z", 10)).map((w) => w.name)).toEqual(
      [],
    );
    expect((await storage.watches.due(due, 10)).map((w) => w.name)).toEqual(["hourly"]);
    const wins = await Promise.all(
      Array.from({ length: 10 }, () =>
        storage.watches.claimTick(
          { tenant: "acme", name: "hourly" },
          due,
          "2026-12-02T09:00:00.000Z",
          { run_id: randomUUID(), at: due },
        ),
      ),
    );
    expect(wins.filter(Boolean)).toHaveLength(1);
    const watch = await storage.watches.get("acme", "hourly");
    expect(watch).toMatchObject({ next_sweep_at: "2026-12-02T09:00:00.000Z", last_sweep_at: due });
    // Its claimed sweep never became a run: the next start creates it.
    expect((await storage.watches.orphanedSweeps()).map((w) => w.name)).toEqual(["hourly"]);
  });
});
