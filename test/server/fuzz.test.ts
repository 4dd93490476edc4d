/**
 * Property: no request, however malformed — random and broken bodies, query strings, ids and
 * headers, on every route — gets a 5xx. Client mistakes are 4xx problem+json answers.
 */
import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, expect, test } from "vitest";
import { describeEachBackend } from "../helpers/backends.ts";
import { OFFBOARDING_INPUT, OVERAGE_INPUT } from "../helpers/scenarios.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const RUNS_PER_BACKEND = 1_000;

interface FuzzRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** Header values fetch will send: visible ASCII and spaces. */
const headerValue = fc
  .string({ unit: "binary-ascii", maxLength: 80 })
  .map((text) => text.replace(/[^\x20-\x7e]/g, "").trim());

const jsonValue = fc.jsonValue({ stringUnit: "binary", maxDepth: 6 });

/** Input bodies close to valid ones, with one field broken. */
function brokenInput(valid: Record<string, unknown>) {
  return fc
    .record({ field: fc.constantFrom(...Object.keys(valid), "extra_field"), value: jsonValue })
    .map(({ field, value }) => ({
      ...valid,
      [field]: field === "customer" ? { external_id: value, id: value } : value,
    }));
}

const bodyText = fc.oneof(
  jsonValue.map((value) => JSON.stringify(value)),
  fc
    .record({ input: jsonValue, wait: fc.constant(false) }, { requiredKeys: [] })
    .map((value) => JSON.stringify(value)),
  fc
    .record({
      input: fc.oneof(brokenInput(OVERAGE_INPUT), brokenInput(OFFBOARDING_INPUT)),
      wait: fc.constant(false),
      metadata: fc.option(jsonValue, { nil: undefined }),
    })
    .map((value) => JSON.stringify(value)),
  fc
    .record(
      { resume: jsonValue, interrupt_id: fc.option(fc.string(), { nil: undefined }) },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
  fc.string({ unit: "binary", maxLength: 200 }),
  jsonValue.map(
    (value) =>
      JSON.stringify({ input: OVERAGE_INPUT, wait: false }).slice(0, -1) + JSON.stringify(value),
  ),
  fc.constantFrom(
    "",
    "{",
    "[]",
    "null",
    '{"input":',
    '{"__proto__":{"x":1}}',
    '{"constructor":{"prototype":{}}}',
    "\u0000",
  ),
);

describeEachBackend("no request gets a 5xx", (backend) => {
  let server: TestServer;
  const ids: string[] = [];
  const checkpointIds: string[] = [];
  beforeAll(async () => {
    server = await startTestServer(backend);
    const waiting = await server.call("POST", "/v1/workflows/subscription-offboarding/runs", {
      body: { input: OFFBOARDING_INPUT },
    });
    const done = await server.call("POST", "/v1/workflows/subscription-offboarding/runs", {
      body: { input: { ...OFFBOARDING_INPUT, require_approval: false } },
    });
    ids.push(waiting.json.run_id, done.json.run_id);
    const history = await server.call("GET", `/v1/runs/${waiting.json.run_id}/checkpoints`);
    checkpointIds.push(
      ...history.json.checkpoints.map((c: { checkpoint_id: string }) => c.checkpoint_id),
    );
  });
  afterAll(() => server.close());

  test(`${RUNS_PER_BACKEND} random and malformed requests across every route answer 2xx or 4xx`, async () => {
    const segment = fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 40 }).map(encodeURIComponent),
      fc.constantFrom("%", "%zz", "%E0%A4%A", "%00", "..", "%2F", "x".repeat(300), ""),
    );
    const runId = fc.oneof(fc.constantFrom(...ids), fc.uuid().map(String), segment);
    const checkpointId = fc.oneof(
      fc.constantFrom(...checkpointIds),
      fc.uuid().map(String),
      segment,
    );
    const workflow = fc.oneof(
      fc.constantFrom("overage-remediation", "subscription-offboarding"),
      segment,
    );
    const route = fc.oneof(
      fc.constant(["GET", "/v1/workflows"] as const).map(([m, p]) => ({ method: m, path: p })),
      workflow.map((name) => ({ method: "POST", path: `/v1/workflows/${name}/runs` })),
      fc.constant({ method: "GET", path: "/v1/runs" }),
      runId.map((id) => ({ method: "GET", path: `/v1/runs/${id}` })),
      runId.map((id) => ({ method: "POST", path: `/v1/runs/${id}/resume` })),
      runId.map((id) => ({ method: "POST", path: `/v1/runs/${id}/cancel` })),
      runId.map((id) => ({ method: "GET", path: `/v1/runs/${id}/checkpoints` })),
      fc
        .tuple(runId, checkpointId)
        .map(([id, cp]) => ({ method: "GET", path: `/v1/runs/${id}/checkpoints/${cp}` })),
      runId.map((id) => ({ method: "GET", path: `/v1/runs/${id}/events` })),
      fc.constant({ method: "GET", path: "/v1/events" }),
      fc.tuple(fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"), segment).map(([m, s]) => ({
        method: m,
        path: `/v1/${s}`,
      })),
      fc
        .constantFrom("/healthz", "/readyz", "/openapi.json")
        .map((p) => ({ method: "GET", path: p })),
    );
    const queryKey = fc.oneof(
      fc.constantFrom("limit", "cursor", "status", "workflow", "before", "wait", "limit[]"),
      segment,
    );
    const queryValue = fc.oneof(
      fc.constantFrom(
        "0",
        "-1",
        "1",
        "100",
        "101",
        "1e2",
        "NaN",
        "running",
        "completed",
        "",
        "%zz",
      ),
      segment,
    );
    const query = fc
      .array(fc.tuple(queryKey, queryValue), { maxLength: 4 })
      .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join("&")}` : ""));
    const contentType = fc.constantFrom(
      "application/json",
      "application/json",
      "application/json; charset=utf-8",
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "",
    );
    const request: fc.Arbitrary<FuzzRequest> = fc
      .record({
        route,
        query,
        contentType,
        body: fc.option(bodyText, { nil: undefined, freq: 5 }),
        idempotencyKey: fc.option(headerValue, { nil: undefined }),
        lastEventId: fc.option(headerValue, { nil: undefined }),
      })
      .map(({ route, query, contentType, body, idempotencyKey, lastEventId }) => {
        const headers: Record<string, string> = {};
        if (contentType && body !== undefined) headers["content-type"] = contentType;
        if (idempotencyKey) headers["idempotency-key"] = idempotencyKey;
        if (lastEventId) headers["last-event-id"] = lastEventId;
        return {
          method: route.method,
          path: route.path,
          query,
          headers,
          body: route.method === "GET" ? undefined : body,
        };
      });

    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const response = await fetch(`${server.url}${req.path}${req.query}`, {
          method: req.method,
          headers: req.headers,
          body: req.body,
          signal: AbortSignal.timeout(10_000),
        });
        // The tenant's event stream (also reached as `/v1/runs/../events`) stays open: its
        // opening answer is what counts.
        const endless =
          response.status === 200 &&
          response.headers.get("content-type")?.startsWith("text/event-stream") &&
          new URL(response.url).pathname === "/v1/events";
        if (endless) await response.body?.cancel();
        const text = endless ? "" : await response.text();
        seen.set(response.status, (seen.get(response.status) ?? 0) + 1);
        expect(response.status, `${req.method} ${req.path}${req.query} ${req.body}`).toBeLessThan(
          500,
        );
        if (response.status >= 400) {
          expect(response.headers.get("content-type")).toContain("application/problem+json");
          expect(JSON.parse(text)).toMatchObject({
            status: response.status,
            title: expect.any(String),
          });
        }
      }),
      { numRuns: RUNS_PER_BACKEND },
    );
    // The requests reached far: validation, not-found and conflict answers, and successes.
    expect([...seen.keys()]).toEqual(expect.arrayContaining([200, 400, 404]));
    expect(await server.call("GET", "/readyz")).toMatchObject({ status: 200 });
    expect((await server.call("GET", `/v1/runs/${randomUUID()}`)).status).toBe(404);
  });
});
