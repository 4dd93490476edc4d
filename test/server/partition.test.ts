/**
 * A network partition while a Polar write is in flight (DESIGN §11, docs/writes.md). Two
 * replicas (`server/main.ts` processes) on one PostgreSQL schema; R1 reaches PostgreSQL through
 * a TCP proxy in this test, and Polar through an HTTP relay that notes when each of its requests
 * arrived. The moment R1 sends its first checkout, the proxy is blackholed: packets are dropped,
 * sockets stay open — R1's statements neither answer nor fail. R1's checkout still reaches Polar,
 * but its answer cannot be recorded; R2 takes the runs over once their leases lapse. Across all
 * runs: one checkout per run, and no write of R1's reached Polar after its lease could have lapsed.
 */
import { randomUUID } from "node:crypto";
import { createServer, request as httpRequest, type IncomingMessage } from "node:http";
import { connect, createServer as createTcpServer, type Server, type Socket } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { METER } from "../../polar/simulator/seed.ts";
import { type Main, startMain } from "../helpers/main.ts";
import { startTestPolar, type TestSimulator } from "../helpers/polar.ts";
import { checkoutsCreatedFor, OVERAGE_INPUT } from "../helpers/scenarios.ts";
import { call } from "../helpers/server.ts";

const databaseUrl = process.env.TEST_DATABASE_URL;
if (!databaseUrl) console.warn("TEST_DATABASE_URL is not set: skipping the partition test");

const RUNS = 12;
const LEASE_SECONDS = 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A TCP proxy to PostgreSQL that can be blackholed: it keeps every socket, forwards nothing. */
async function startBlackholeProxy(target: { host: string; port: number }) {
  const sockets: Socket[] = [];
  let cut = false;
  const server: Server = createTcpServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.push(client, upstream);
    const forward = (from: Socket, to: Socket) =>
      from.on("data", (chunk) => {
        if (!cut) to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    const close = () => {
      if (cut) return; // a cut network tells nobody
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    blackhole: () => {
      cut = true;
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

/** An HTTP relay to Polar noting every request's arrival; `onCheckout` runs before forwarding. */
async function startPolarRelay(target: string, onCheckout: () => void) {
  const arrivals: { path: string; method: string; at: number; key: string | null }[] = [];
  const server = createServer(async (incoming: IncomingMessage, outgoing) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const isCheckout = incoming.method === "POST" && /^\/v1\/checkouts\/?$/.test(incoming.url!);
    if (isCheckout) onCheckout();
    let key: string | null = null;
    if (isCheckout) key = JSON.parse(body.toString()).metadata?.polar_flows_key ?? null;
    arrivals.push({ path: incoming.url!, method: incoming.method!, at: Date.now(), key });
    const url = new URL(incoming.url!, target);
    const upstream = httpRequest(
      url,
      { method: incoming.method, headers: { ...incoming.headers, host: url.host } },
      (answer) => {
        outgoing.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on("error", () => outgoing.destroy());
    upstream.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, arrivals, close: () => server.close() };
}

describe.skipIf(!databaseUrl)(
  "a replica cut off from PostgreSQL mid-write",
  { timeout: 120_000 },
  () => {
    const schema = `partition_${randomUUID().replaceAll("-", "")}`;
    let simulator: TestSimulator;
    let admin: pg.Client;
    let proxy: Awaited<ReturnType<typeof startBlackholeProxy>>;
    let relay: Awaited<ReturnType<typeof startPolarRelay>>;
    const replicas: Main[] = [];
    /** When the proxy was blackholed, and R1's leases as PostgreSQL saw them just before. */
    let cutAt = 0;
    let leasesAtCut: Promise<Map<string, number>> | null = null;

    beforeAll(async () => {
      ({ simulator } = await startTestPolar({ latencyMs: 20 }));
      admin = new pg.Client({ connectionString: databaseUrl });
      await admin.connect();
      const target = new URL(databaseUrl!);
      proxy = await startBlackholeProxy({
        host: target.hostname,
        port: Number(target.port || 5432),
      });
      relay = await startPolarRelay(simulator.url, () => {
        if (cutAt !== 0) return;
        cutAt = Date.now();
        leasesAtCut = r1Leases();
        proxy.blackhole();
      });
    });
    afterAll(async () => {
      for (const replica of replicas) replica.child.kill("SIGKILL");
      await Promise.all(replicas.map((replica) => replica.exited));
      proxy?.close();
      relay?.close();
      await simulator?.close();
      await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin?.end();
    });

    const env = (databaseUrlOf: string, polarUrl: string) => ({
      DATABASE_URL: databaseUrlOf,
      DATABASE_SCHEMA: schema,
      POLAR_BASE_URL: polarUrl,
      POLAR_ACCESS_TOKEN: simulator.token,
      POLAR_RATE_LIMIT: "1000000",
      API_RATE_LIMIT: "1000000",
      RUN_CONCURRENCY: "4",
      RUN_LEASE_SECONDS: String(LEASE_SECONDS),
      RUN_LEASE_RENEW_SECONDS: "1",
    });
    let r1Owner = "";

    /** Lease expiry of every run R1 holds, read on a connection of the test's own. */
    async function r1Leases(): Promise<Map<string, number>> {
      const { rows } = await admin.query(
        `SELECT run_id, lease_expires_at FROM "${schema}".runs WHERE lease_owner = $1`,
        [r1Owner],
      );
      return new Map(rows.map((row) => [row.run_id, (row.lease_expires_at as Date).getTime()]));
    }

    test("one checkout per run; none of R1's after its lease could have lapsed", async () => {
      const proxied = new URL(databaseUrl!);
      proxied.hostname = "127.0.0.1";
      proxied.port = String(proxy.port);
      const r1 = await startMain(env(proxied.toString(), relay.url));
      replicas.push(r1);
      r1Owner = /replica (\S+)/.exec(r1.output())?.[1] ?? "";
      expect(r1Owner).not.toBe("");
      const r2 = await startMain(env(databaseUrl!, simulator.url));
      replicas.push(r2);

      const runIds: string[] = [];
      for (let index = 0; index < RUNS; index++) {
        // Through R1 while it can still answer, so that it claims runs of its own.
        const via = cutAt === 0 && index % 2 === 0 ? r1 : r2;
        const answer = await call(via.url, "POST", "/v1/workflows/overage-remediation/runs", {
          body: {
            input: {
              ...OVERAGE_INPUT,
              usage: { meter_id: METER.id },
              limit: undefined,
              require_approval: false,
            },
          },
        }).catch(() => null);
        if (answer?.status === 201) runIds.push(answer.json.run_id);
        else index--; // R1 cut off already: start it through R2
      }
      expect(cutAt).not.toBe(0);

      const deadline = Date.now() + 60_000;
      const settled = new Map<string, { status: string; at: number }>();
      while (settled.size < runIds.length && Date.now() < deadline) {
        for (const runId of runIds) {
          if (settled.has(runId)) continue;
          const run = (await call(r2.url, "GET", `/v1/runs/${runId}`)).json;
          if (run.status === "completed" || run.status === "failed")
            settled.set(runId, { status: run.status, at: Date.now() });
        }
        await sleep(100);
      }
      expect([...settled.values()].map((run) => run.status)).toEqual(runIds.map(() => "completed"));

      const requests = simulator.requests();
      const duplicates = runIds.filter(
        (runId) => checkoutsCreatedFor(requests, runId).length !== 1,
      );
      expect(duplicates).toEqual([]);

      // Every checkout R1 sent reached Polar before its run's lease, as PostgreSQL had it when
      // R1 was cut off, could lapse.
      const leases = await leasesAtCut!;
      const r1Writes = relay.arrivals.filter((arrival) => arrival.key !== null);
      expect(r1Writes.length).toBeGreaterThan(0);
      for (const write of r1Writes) {
        const expiry = leases.get(write.key!);
        expect(expiry, `R1 wrote for run ${write.key} it did not hold at the cut`).toBeDefined();
        expect(write.at).toBeLessThan(expiry!);
      }
      const takenOver = [...leases.keys()].filter((runId) => runIds.includes(runId));
      const takeoverMs = Math.max(...takenOver.map((runId) => settled.get(runId)!.at - cutAt));
      console.log(
        `partition: ${runIds.length} runs, ${r1Writes.length} checkout(s) sent by R1 (the one in flight at the cut included), ${takenOver.length} run(s) taken over by R2 within ${takeoverMs} ms of the cut, 0 duplicates`,
      );
    });
  },
);
