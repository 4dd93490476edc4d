/**
 * GET /v1/events: every run's status, interrupt and answer events of the caller's tenant, live,
 * across replicas (PostgreSQL), resumable with Last-Event-ID; other tenants' events never appear.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import { describeEachBackend } from "../helpers/backends.ts";
import { OVERAGE_INPUT } from "../helpers/scenarios.ts";
import {
  eventually,
  type SseEvent,
  settledRun,
  startTestServer,
  type TestServer,
} from "../helpers/server.ts";

const ACME = `acme-${randomUUID()}`;
const ACME_AGENT = `agent-${randomUUID()}`;
const GLOBEX = `globex-${randomUUID()}`;
const API_KEYS = `acme=${ACME},acme:bot:agent=${ACME_AGENT},globex=${GLOBEX}`;

/** An open tenant stream, collecting what arrives. */
async function openStream(server: TestServer, key: string, lastEventId?: string) {
  const stop = new AbortController();
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (lastEventId) headers["last-event-id"] = lastEventId;
  const response = await fetch(`${server.url}/v1/events`, { headers, signal: stop.signal });
  const events: SseEvent[] = [];
  let comments = 0;
  const done = (async () => {
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: "", done: true }));
      if (done) return;
      buffer += value;
      for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
        const fields: Record<string, string> = {};
        for (const line of buffer.slice(0, end).split("\n")) {
          if (line.startsWith(":")) comments += 1;
          else fields[line.slice(0, line.indexOf(":"))] = line.slice(line.indexOf(":") + 1).trim();
        }
        buffer = buffer.slice(end + 2);
        if (fields.event)
          events.push({ id: fields.id!, event: fields.event, data: JSON.parse(fields.data!) });
      }
    }
  })();
  return {
    response,
    events,
    comments: () => comments,
    close: async () => {
      stop.abort();
      await done;
    },
  };
}

describeEachBackend("the tenant event stream", (backend) => {
  let server: TestServer;
  let replica: TestServer;
  beforeAll(async () => {
    const options = { env: { API_KEYS }, eventKeepAliveMs: 200 };
    server = await startTestServer(backend, options);
    // PostgreSQL: a second replica on the same database starts the runs.
    replica = backend.kind === "postgres" ? await startTestServer(backend, options) : server;
  });
  afterAll(async () => {
    await server?.close();
    if (replica !== server) await replica?.close();
  });

  const start = (key: string) =>
    replica.call("POST", "/v1/workflows/overage-remediation/runs", {
      key,
      body: { input: OVERAGE_INPUT },
    });

  test("a run becoming interrupted, the answer and the run moving on arrive live; another tenant's never", async () => {
    const acme = await openStream(server, ACME_AGENT);
    const globex = await openStream(server, GLOBEX);
    expect(acme.response.status).toBe(200);
    expect(acme.response.headers.get("content-type")).toMatch(/^text\/event-stream/);

    const globexRun = await start(GLOBEX);
    const run = await start(ACME);
    expect(run.json.status).toBe("interrupted");
    const interrupted = await eventually(async () =>
      acme.events.find((e) => e.event === "status" && e.data.status === "interrupted"),
    );
    expect(interrupted.data).toMatchObject({
      run_id: run.json.run_id,
      interrupt: { id: expect.any(String) },
    });
    expect(
      acme.events.some((e) => e.event === "interrupt" && e.data.run_id === run.json.run_id),
    ).toBe(true);
    expect(acme.events.some((e) => e.event === "node")).toBe(false);

    const answered = await replica.call("POST", `/v1/runs/${run.json.run_id}/resume`, {
      key: ACME,
      body: { resume: { approved: false, note: "not now" }, wait: false },
    });
    expect(answered.status).toBe(200);
    await settledRun(server, run.json.run_id, ACME);
    await eventually(
      async () =>
        acme.events.find((e) => e.event === "status" && e.data.status === "completed") ?? undefined,
    );
    expect(acme.events.find((e) => e.event === "answer")?.data).toMatchObject({
      run_id: run.json.run_id,
      note: "not now",
    });
    // Keep-alive comments while nothing happens.
    await eventually(async () => (acme.comments() > 0 ? true : undefined));

    await eventually(
      async () => globex.events.find((e) => e.data.run_id === globexRun.json.run_id) ?? undefined,
    );
    const acmeRunIds = new Set(acme.events.map((e) => e.data.run_id));
    const globexRunIds = new Set(globex.events.map((e) => e.data.run_id));
    expect([...acmeRunIds]).toEqual([run.json.run_id]);
    expect(globexRunIds.has(run.json.run_id)).toBe(false);

    // Resuming after the interrupt replays what came after it, and only that.
    const resumed = await openStream(server, ACME, interrupted.id);
    await eventually(
      async () =>
        resumed.events.find((e) => e.event === "status" && e.data.status === "completed") ??
        undefined,
    );
    expect(resumed.events.every((e) => Number(e.id) > Number(interrupted.id))).toBe(true);
    expect(resumed.events.some((e) => e.event === "answer")).toBe(true);
    await Promise.all([acme.close(), globex.close(), resumed.close()]);
  });

  test.runIf(backend.kind === "postgres")(
    "an event committed after one with a higher id still arrives",
    async () => {
      const run = await start(ACME);
      const stream = await openStream(server, ACME);
      const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
      await client.connect();
      try {
        const { rows: schemas } = await client.query<{ table_schema: string }>(
          "SELECT table_schema FROM information_schema.tables WHERE table_name = 'runs'",
        );
        let schema = "";
        for (const { table_schema } of schemas) {
          const found = await client.query(
            `SELECT 1 FROM "${table_schema}".runs WHERE run_id = $1`,
            [run.json.run_id],
          );
          if (found.rowCount) schema = table_schema;
        }
        // Takes an id now, commits after the cancel's status event (a higher id) is streamed.
        await client.query("BEGIN");
        const { rows } = await client.query<{ event_id: string }>(
          `INSERT INTO "${schema}".run_events (run_id, type, data, created_at)
           VALUES ($1, 'answer', '{"late": true}', now()) RETURNING event_id`,
          [run.json.run_id],
        );
        const cancelled = await replica.call("POST", `/v1/runs/${run.json.run_id}/cancel`, {
          key: ACME,
        });
        expect(cancelled.json.status).toBe("cancelled");
        const higher = await eventually(async () =>
          stream.events.find((e) => e.event === "status" && e.data.status === "cancelled"),
        );
        expect(Number(higher.id)).toBeGreaterThan(Number(rows[0]!.event_id));
        await client.query("COMMIT");
        const late = await eventually(async () => stream.events.find((e) => e.data.late === true));
        expect(late.id).toBe(rows[0]!.event_id);
        expect(stream.events.filter((e) => e.id === late.id)).toHaveLength(1);
      } finally {
        await client.end();
        await stream.close();
      }
    },
  );

  test("the stream needs a key and a well-formed Last-Event-ID", async () => {
    const anonymous = await fetch(`${server.url}/v1/events`);
    expect(anonymous.status).toBe(401);
    const bad = await server.call("GET", "/v1/events", {
      key: ACME,
      headers: { "last-event-id": "nope" },
    });
    expect(bad.status).toBe(400);
  });
});
