/** API keys per tenant: 401 without a valid key, and a tenant sees only its own runs. */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { describeEachBackend } from "../helpers/backends.ts";
import { OFFBOARDING_INPUT } from "../helpers/scenarios.ts";
import { readEvents, startTestServer, type TestServer } from "../helpers/server.ts";

const ACME_KEY = `acme-${randomUUID()}`;
const GLOBEX_KEY = `globex-${randomUUID()}`;

describeEachBackend("auth over HTTP", (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend, {
      // This file tries ~60 wrong keys on purpose: sign-in-limit.test.ts covers the limit.
      env: { API_KEYS: `acme=${ACME_KEY},globex=${GLOBEX_KEY}`, SIGN_IN_FAILURE_LIMIT: "1000" },
    });
  });
  afterAll(() => server.close());

  const startAs = (key: string, headers: Record<string, string> = {}) =>
    server.call("POST", "/v1/workflows/subscription-offboarding/runs", {
      body: { input: OFFBOARDING_INPUT },
      key,
      headers,
    });

  test("every /v1 route answers 401 without a valid key; health and docs stay open", async () => {
    const id = randomUUID();
    const routes: [string, string, unknown?][] = [
      ["GET", "/v1/workflows"],
      ["POST", "/v1/workflows/overage-remediation/runs", { input: {} }],
      ["GET", "/v1/runs"],
      ["GET", `/v1/runs/${id}`],
      ["POST", `/v1/runs/${id}/resume`, { resume: { approved: true } }],
      ["POST", `/v1/runs/${id}/cancel`],
      ["GET", `/v1/runs/${id}/checkpoints`],
      ["GET", `/v1/runs/${id}/checkpoints/${id}`],
      ["GET", `/v1/runs/${id}/events`],
    ];
    const wrongKeys: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${ACME_KEY}x` },
      { authorization: `Bearer ${ACME_KEY.slice(0, -1)}` },
      { authorization: `Basic ${Buffer.from(`acme:${ACME_KEY}`).toString("base64")}` },
      { authorization: ACME_KEY },
      { authorization: "Bearer " },
    ];
    for (const [method, path, body] of routes) {
      for (const headers of wrongKeys) {
        const answer = await server.call(method, path, { headers, ...(body ? { body } : {}) });
        expect(answer.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(answer.headers.get("content-type")).toContain("application/problem+json");
        expect(answer.headers.get("www-authenticate")).toMatch(/^Bearer/);
        expect(answer.json).toMatchObject({ status: 401, title: "Unauthorized" });
        expect(answer.text).not.toContain(ACME_KEY);
      }
    }
    for (const path of ["/healthz", "/readyz", "/openapi.json"]) {
      expect((await server.call("GET", path)).status).toBe(200);
    }
    const document = (await server.call("GET", "/openapi.json")).json;
    expect(document.components.securitySchemes.bearer).toMatchObject({
      type: "http",
      scheme: "bearer",
    });
    expect(document.paths["/v1/runs"].get.security).toEqual([{ bearer: [] }]);
    expect(document.paths["/healthz"].get.security).toEqual([]);
  });

  test("a tenant sees only its own runs: another tenant's run is 404 everywhere", async () => {
    const { status, json: run } = await startAs(ACME_KEY);
    expect(status).toBe(201);
    expect(run.status).toBe("interrupted");
    const checkpoints = await server.call("GET", `/v1/runs/${run.run_id}/checkpoints`, {
      key: ACME_KEY,
    });
    expect(checkpoints.status).toBe(200);
    const checkpointId = checkpoints.json.checkpoints[0].checkpoint_id;

    const asGlobex: [string, string, unknown?][] = [
      ["GET", `/v1/runs/${run.run_id}`],
      ["POST", `/v1/runs/${run.run_id}/resume`, { resume: { approved: true } }],
      ["POST", `/v1/runs/${run.run_id}/cancel`],
      ["GET", `/v1/runs/${run.run_id}/checkpoints`],
      ["GET", `/v1/runs/${run.run_id}/checkpoints/${checkpointId}`],
    ];
    for (const [method, path, body] of asGlobex) {
      const answer = await server.call(method, path, {
        key: GLOBEX_KEY,
        ...(body ? { body } : {}),
      });
      expect(answer.status, `${method} ${path}`).toBe(404);
    }
    expect((await readEvents(server, run.run_id, { key: GLOBEX_KEY })).status).toBe(404);
    const globexList = await server.call("GET", "/v1/runs?limit=100", { key: GLOBEX_KEY });
    expect(globexList.json.runs.map((r: { run_id: string }) => r.run_id)).not.toContain(run.run_id);

    // Nothing moved: acme's run still waits, and acme can do all of it.
    const acmeView = await server.call("GET", `/v1/runs/${run.run_id}`, { key: ACME_KEY });
    expect(acmeView.json.status).toBe("interrupted");
    const acmeList = await server.call("GET", "/v1/runs?limit=100", { key: ACME_KEY });
    expect(acmeList.json.runs.map((r: { run_id: string }) => r.run_id)).toContain(run.run_id);
    const events = await readEvents(server, run.run_id, { key: ACME_KEY });
    expect(events.events.at(-1)?.data.status).toBe("interrupted");
    const one = await server.call("GET", `/v1/runs/${run.run_id}/checkpoints/${checkpointId}`, {
      key: ACME_KEY,
    });
    expect(one.status).toBe(200);
    const cancelled = await server.call("POST", `/v1/runs/${run.run_id}/cancel`, { key: ACME_KEY });
    expect(cancelled.json.status).toBe("cancelled");
  });

  test("idempotency keys are per tenant", async () => {
    const key = { "idempotency-key": randomUUID() };
    const acme = await startAs(ACME_KEY, key);
    const globex = await startAs(GLOBEX_KEY, key);
    expect([acme.status, globex.status]).toEqual([201, 201]);
    expect(acme.json.run_id).not.toBe(globex.json.run_id);
    expect((await startAs(ACME_KEY, key)).json.run_id).toBe(acme.json.run_id);
  });
});

describe("server/main.ts", () => {
  test("refuses to start on a non-loopback HOST without API_KEYS", async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOST: "0.0.0.0",
      PORT: "0",
      DATA_DIR: join("/tmp", `pf-${randomUUID()}`),
    };
    delete env.API_KEYS;
    const child = spawn(process.execPath, [join(import.meta.dirname, "../../server/main.ts")], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    const code = await new Promise((resolve) => child.on("exit", resolve));
    expect(code).toBe(1);
    expect(output).toContain("HOST=0.0.0.0");
    expect(output).toContain("API_KEYS");
    expect(output).not.toContain("listening");
  });
});
