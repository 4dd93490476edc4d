/**
 * PostgreSQL connections lost under the store, on a private cluster (restarted and cut at will):
 * a connection checked out in any role (pool, checkpoint, migration) or listening is lost
 * without an uncaught 'error' event; a lost connection goes back to the pool as broken, never
 * to be handed out again; the pool, the listener and start-up's migration recover by themselves;
 * and each loss is told once per role, with one notice when the database answers again.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import {
  type PrivateCluster,
  postgresBinaries,
  startPrivateCluster,
} from "../../bench/pg-cluster.ts";
import {
  type ConnectionNotice,
  createStorage,
  isStoreUnavailable,
  type Storage,
  type StoreChange,
} from "../../storage/index.ts";
import { ConnectionWatch } from "../../storage/pg-connections.ts";
import { eventually } from "../helpers/server.ts";

const bin = postgresBinaries();
if (!bin && process.env.CI) throw new Error("CI needs PostgreSQL's initdb and pg_ctl: set PG_BIN");
if (!bin) console.warn("no PostgreSQL binaries: skipping the connection-loss tests");

/** Every uncaught exception while a test runs: a lost connection must never be one. */
function catchUncaught() {
  const caught: unknown[] = [];
  const onError = (error: unknown) => caught.push(error);
  process.on("uncaughtException", onError);
  process.on("unhandledRejection", onError);
  return {
    caught,
    stop() {
      process.off("uncaughtException", onError);
      process.off("unhandledRejection", onError);
    },
  };
}

describe.skipIf(!bin)("PostgreSQL connections lost under the store", { timeout: 60_000 }, () => {
  let cluster: PrivateCluster;
  let uncaught: ReturnType<typeof catchUncaught>;
  const opened: Storage[] = [];

  beforeAll(async () => {
    cluster = await startPrivateCluster();
  }, 60_000);
  afterAll(async () => {
    for (const storage of opened) await storage.close();
    await cluster?.stop();
  });
  afterEach(() => {
    uncaught.stop();
    expect(uncaught.caught).toEqual([]);
  });

  async function open(notices: ConnectionNotice[]) {
    const storage = await createStorage({
      databaseUrl: cluster.url,
      dataDir: "unused",
      schema: `loss_${randomUUID().replaceAll("-", "")}`,
      onConnection: (notice) => notices.push(notice),
    });
    opened.push(storage);
    return storage;
  }

  test("connections checked out in every role are cut: no crash, each goes back broken, and the roles are told once each", async () => {
    uncaught = catchUncaught();
    const notices: ConnectionNotice[] = [];
    const watch = new ConnectionWatch((notice) => notices.push(notice));
    const pool = new pg.Pool({ connectionString: cluster.url, max: 5 });
    watch.watchPool(pool);
    try {
      // Out, idle in a transaction, as a checkpoint write and a migration hold them; and one idle.
      const checkpoint = await watch.checkout(pool, "checkpoint");
      await checkpoint.query("BEGIN");
      const migration = await watch.checkout(pool, "migration");
      const spare = await watch.checkout(pool, "pool");
      spare.release();
      const pids = new Set(
        [checkpoint, migration].map((c) => (c as unknown as { processID: number }).processID),
      );

      expect(await cluster.terminateAll()).toBeGreaterThanOrEqual(3);
      await eventually(async () => (notices.length >= 3 ? true : undefined));
      expect(await checkpoint.query("COMMIT").catch((error) => error)).toSatisfy(
        isStoreUnavailable,
      );
      checkpoint.release();
      migration.release();
      // Neither comes back out of the pool: a new connection answers.
      const fresh = await watch.checkout(pool, "pool");
      expect(pids).not.toContain((fresh as unknown as { processID: number }).processID);
      expect((await fresh.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
      fresh.release();

      const lost = notices.filter((notice) => notice.kind === "lost");
      expect(lost.map((notice) => notice.role).sort()).toEqual(["checkpoint", "migration", "pool"]);
      for (const notice of lost) {
        expect(notice).toMatchObject({ code: "57P01" });
        expect(notice.message).toMatch(/terminating connection/);
      }
      expect(notices.at(-1)).toMatchObject({
        kind: "back",
        lost: { checkpoint: 1, migration: 1, pool: 1 },
      });
      expect(notices.filter((notice) => notice.kind === "back")).toHaveLength(1);
    } finally {
      await pool.end();
    }
  });

  test("the store survives restarts and cut connections: its pool, listener and checkpoint saver recover", async () => {
    uncaught = catchUncaught();
    const notices: ConnectionNotice[] = [];
    const storage = await open(notices);
    const changes: StoreChange[] = [];
    storage.watch((change) => changes.push(change));
    const resyncs = () => changes.filter((change) => change.kind === "resync").length;
    await eventually(async () => (resyncs() === 1 ? true : undefined));
    const { run } = await storage.runs.create({
      tenant: "default",
      workflow: "overage-remediation",
      input: {},
      metadata: {},
    });

    for (const cut of ["restart", "terminate", "restart"] as const) {
      const before = resyncs();
      if (cut === "restart") await cluster.restart();
      else await cluster.terminateAll();
      // Reads and writes of every kind work again once the server answers.
      await eventually(
        () =>
          storage.ping().then(
            () => true,
            () => undefined,
          ),
        {
          intervalMs: 100,
        },
      );
      expect(await storage.runs.get("default", run.run_id)).toMatchObject({ status: "queued" });
      await storage.events.append(run.run_id, [{ type: "status", data: { cut } }]);
      expect(await storage.checkpointer.getTuple({ configurable: { thread_id: run.run_id } })).toBe(
        undefined,
      );
      // The listener is back (and says that notifications may have been missed).
      await eventually(async () => (resyncs() > before ? true : undefined), { intervalMs: 100 });
    }
    const events = await storage.events.after(run.run_id, 0, 10);
    expect(events.map((event) => (event.data as { cut: string }).cut)).toEqual([
      "restart",
      "terminate",
      "restart",
    ]);
    // One notice per role per outage, and each outage ends with one `back`.
    const backs = notices.filter((notice) => notice.kind === "back");
    expect(backs.length).toBeGreaterThanOrEqual(3);
    const lost = notices.filter((notice) => notice.kind === "lost");
    expect(lost.filter((notice) => notice.role === "listen")).toHaveLength(3);
    expect(lost.length).toBeLessThanOrEqual(3 * 3);
  });

  test("start-up waits for a database that is restarting, then migrates", async () => {
    uncaught = catchUncaught();
    await cluster.down();
    const starting = open([]);
    await new Promise((resolve) => setTimeout(resolve, 700));
    await cluster.up();
    const storage = await starting;
    await storage.ping();
  });
});
