/**
 * The audit trail over HTTP: who approved or rejected what (with the note), every Polar write
 * with its actor, status and Polar's object id; pages and the NDJSON export agree; a tenant
 * sees only its own entries.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { CUSTOMERS, METER } from "../../polar/simulator/seed.ts";
import { describeEachBackend } from "../helpers/backends.ts";
import { OVERAGE_INPUT } from "../helpers/scenarios.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const ADA_KEY = `ada-${randomUUID()}`;
const GLOBEX_KEY = `globex-${randomUUID()}`;
const meterRun = (requireApproval: boolean) => ({
  input: {
    ...OVERAGE_INPUT,
    usage: { meter_id: METER.id },
    limit: undefined,
    require_approval: requireApproval,
  },
});

describeEachBackend("audit trail", (backend) => {
  let server: TestServer;
  const asAda = { key: ADA_KEY };
  beforeAll(async () => {
    server = await startTestServer(backend, {
      env: { API_KEYS: `acme:ada:approver=${ADA_KEY},globex=${GLOBEX_KEY}` },
    });
  });
  afterAll(() => server.close());

  async function startRun(requireApproval: boolean) {
    const started = await server.call("POST", "/v1/workflows/overage-remediation/runs", {
      ...asAda,
      body: meterRun(requireApproval),
    });
    expect(started.status).toBe(201);
    return started.json;
  }

  test("approved, rejected and auto runs; pages equal the export; tenants apart", async () => {
    const approved = await startRun(true);
    const done = await server.call("POST", `/v1/runs/${approved.run_id}/resume`, {
      ...asAda,
      body: { resume: { approved: true, note: "fine by me" } },
    });
    expect(done.json.status).toBe("completed");
    const rejected = await startRun(true);
    await server.call("POST", `/v1/runs/${rejected.run_id}/resume`, {
      ...asAda,
      body: { resume: { approved: false, note: "not now" } },
    });
    const auto = await startRun(false);
    expect(auto.status).toBe("completed");

    const all = await server.call("GET", "/v1/audit?limit=100", asAda);
    expect(all.status).toBe(200);
    const entries = all.json.entries as any[];
    expect(entries.map((entry) => [entry.run_id, entry.kind, entry.action, entry.actor])).toEqual([
      [approved.run_id, "answer", "approved", "ada"],
      [approved.run_id, "polar_write", "checkout.create", "ada"],
      [rejected.run_id, "answer", "rejected", "ada"],
      [auto.run_id, "polar_write", "checkout.create", "ada"],
    ]);
    expect(entries[0].detail).toMatchObject({ node: "approve_checkout", note: "fine by me" });
    expect(entries[1]).toMatchObject({
      workflow: "overage-remediation",
      tenant: "acme",
      detail: {
        status: "succeeded",
        polar_object_id: done.json.output.checkout.id,
        customer_id: CUSTOMERS.ada.id,
      },
    });
    const times = entries.map((entry) => Date.parse(entry.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));

    // Filters: a run, a kind, a customer (answers included).
    const ofRun = await server.call("GET", `/v1/audit?run_id=${rejected.run_id}`, asAda);
    expect(ofRun.json.entries).toHaveLength(1);
    const writes = await server.call("GET", "/v1/audit?kind=polar_write", asAda);
    expect(writes.json.entries).toHaveLength(2);
    const ofCustomer = await server.call("GET", `/v1/audit?customer_id=${CUSTOMERS.ada.id}`, asAda);
    expect(ofCustomer.json.entries).toHaveLength(4);
    const none = await server.call("GET", `/v1/audit?customer_id=${randomUUID()}`, asAda);
    expect(none.json.entries).toHaveLength(0);

    // One entry a page, cursor to cursor, equals the export.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await server.call(
        "GET",
        `/v1/audit?limit=1${cursor ? `&cursor=${cursor}` : ""}`,
        asAda,
      );
      paged.push(...page.json.entries.map((entry: any) => entry.id));
      cursor = page.json.next_cursor;
    } while (cursor);
    const exported = await server.call("GET", "/v1/audit", {
      ...asAda,
      headers: { accept: "application/x-ndjson" },
    });
    expect(exported.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    const lines = exported.text
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.map((entry) => entry.id)).toEqual(paged);
    expect(paged).toEqual(entries.map((entry) => entry.id));

    const bad = await server.call("GET", "/v1/audit?cursor=nope", asAda);
    expect(bad.status).toBe(400);

    const globex = await server.call("GET", "/v1/audit", { key: GLOBEX_KEY });
    expect(globex.json.entries).toEqual([]);
  });
});
