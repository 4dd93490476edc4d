/**
 * The OpenAPI document as a contract, as the running service serves it with and without
 * API_KEYS: every operation has a stable operationId, says its security and lists its 4xx
 * answers (routes added later must too), and Redocly's recommended rules (redocly.yaml) find no
 * error and only the warnings kept there.
 */
import { randomUUID } from "node:crypto";
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { describeEachBackend } from "../helpers/backends.ts";
import { lintOffline, operationsOf } from "../helpers/openapi.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const KEY = `acme-${randomUUID()}`;

/** The operationIds clients are generated with: renaming one breaks them. */
const STABLE_OPERATION_IDS: Record<string, string> = {
  "get /healthz": "getHealth",
  "get /readyz": "getReadiness",
  "get /v1/workflows": "listWorkflows",
  "post /v1/workflows/{name}/runs": "startRun",
  "post /v1/requests": "startRequest",
  "get /v1/runs": "listRuns",
  "get /v1/runs/{run_id}": "getRun",
  "post /v1/runs/{run_id}/resume": "resumeRun",
  "post /v1/runs/{run_id}/cancel": "cancelRun",
  "get /v1/runs/{run_id}/checkpoints": "listCheckpoints",
  "get /v1/runs/{run_id}/checkpoints/{checkpoint_id}": "getCheckpoint",
  "get /v1/runs/{run_id}/events": "streamRunEvents",
  "get /v1/tools": "listTools",
  "get /v1/tools/{name}": "getTool",
  "post /v1/tools/{name}/invoke": "invokeTool",
};

/** Probes have no client error to list; the only warning redocly.yaml keeps is about them. */
const PROBES = new Set(["getHealth", "getReadiness"]);
/** Authenticated by Polar's signature, not a bearer key (§10). */
const SIGNED = new Set(["receivePolarWebhook"]);

const MODES = [
  { mode: "without API_KEYS", env: {} },
  { mode: "with API_KEYS", env: { API_KEYS: `acme=${KEY}` } },
] as const;

describeEachBackend("the OpenAPI document", (backend) => {
  describe.each(MODES)("$mode", ({ mode, env }) => {
    const keys = mode === "with API_KEYS";
    let server: TestServer;
    let text: string;
    let document: any;
    beforeAll(async () => {
      server = await startTestServer(backend, { env });
      const answer = await server.call("GET", "/openapi.json");
      expect(answer.status).toBe(200);
      text = answer.text;
      document = answer.json;
    });
    afterAll(() => server.close());

    test("every operation: a unique camelCase operationId, stated security, its 4xx answers as problem details", () => {
      const operations = operationsOf(document);
      expect(operations.length).toBeGreaterThanOrEqual(Object.keys(STABLE_OPERATION_IDS).length);
      const ids = operations.map((operation) => operation.operationId);
      expect(new Set(ids).size).toBe(ids.length);
      for (const operation of operations) {
        const where = `${operation.method} ${operation.path}`;
        expect(operation.operationId, where).toMatch(/^[a-z][a-zA-Z0-9]*$/);
        expect(operation.security, `${where}: security`).toEqual(expect.any(Array));
        const clientErrors = Object.keys(operation.responses).filter((code) => /^4/.test(code));
        if (!PROBES.has(operation.operationId!)) {
          expect(clientErrors.length, `${where}: 4xx answers`).toBeGreaterThan(0);
        }
        for (const code of clientErrors) {
          expect(Object.keys(operation.responses[code]!.content ?? {}), `${where} ${code}`).toEqual(
            ["application/problem+json"],
          );
        }
      }
      const byRoute = Object.fromEntries(
        operations.map((operation) => [
          `${operation.method} ${operation.path}`,
          operation.operationId,
        ]),
      );
      expect(byRoute).toMatchObject(STABLE_OPERATION_IDS);
    });

    test("security: probes are open; /v1 needs a bearer key and lists its 401, or is explicitly open", () => {
      for (const operation of operationsOf(document)) {
        const where = `${operation.method} ${operation.path}`;
        if (PROBES.has(operation.operationId!) || SIGNED.has(operation.operationId!) || !keys) {
          expect(operation.security, where).toEqual([]);
          expect(operation.responses, where).not.toHaveProperty("401");
        } else {
          expect(operation.security, where).toEqual([{ bearer: [] }]);
          expect(operation.responses, where).toHaveProperty("401");
        }
        // Every /v1 call counts against the caller's budget.
        if (operation.path.startsWith("/v1/"))
          expect(operation.responses, where).toHaveProperty("429");
        if (operation.method === "post") {
          expect(Object.keys(operation.responses), where).toEqual(
            expect.arrayContaining(["400", "413", "415"]),
          );
        }
      }
      expect(document.components.securitySchemes?.bearer !== undefined).toBe(keys);
      // LangGraph's API has its own reference and client (docs/api.md).
      expect(Object.keys(document.paths).filter((path) => path.startsWith("/langgraph"))).toEqual(
        [],
      );
    });

    test("servers is where the service listens; a license; every component schema is used", () => {
      expect(document.servers).toEqual([{ url: server.url }]);
      expect(document.info.license).toEqual({ name: "MIT", identifier: "MIT" });
      const elsewhere = JSON.stringify({ ...document, components: { schemas: {} } });
      const schemas: Record<string, unknown> = document.components.schemas;
      for (const name of Object.keys(schemas)) {
        const ref = JSON.stringify(`#/components/schemas/${name}`);
        const usedBy = Object.entries(schemas).filter(
          ([other, schema]) => other !== name && JSON.stringify(schema).includes(ref),
        );
        expect(elsewhere.includes(ref) || usedBy.length > 0, name).toBe(true);
      }
      expect(Object.keys(schemas)).toEqual(expect.arrayContaining(["Run", "Problem"]));
    });

    test("Swagger UI's 'Try it out' goes to the address the browser came by (a tunnel, a port mapping)", async () => {
      const { port } = new URL(server.url);
      const body = await new Promise<string>((resolve, reject) => {
        const request = httpRequest(
          { host: "127.0.0.1", port, path: "/docs/json", headers: { host: "localhost:8080" } },
          (response) => {
            let data = "";
            response.on("data", (chunk) => {
              data += chunk;
            });
            response.on("end", () => resolve(data));
          },
        );
        request.on("error", reject);
        request.end();
      });
      expect(JSON.parse(body).servers).toEqual([{ url: "http://localhost:8080" }]);
    });

    test("Redocly's recommended rules, offline: no errors, and only the warnings redocly.yaml keeps", async () => {
      const { problems, fetches } = await lintOffline(text, `${server.url}/openapi.json`);
      expect(fetches).toEqual([]);
      expect(problems.filter((problem) => problem.severity === "error")).toEqual([]);
      const warnings = problems.filter((problem) => problem.severity === "warn");
      expect(warnings.map(({ ruleId, pointer }) => `${ruleId} ${pointer}`).sort()).toEqual([
        "operation-4xx-response #/paths/~1healthz/get/responses",
        "operation-4xx-response #/paths/~1readyz/get/responses",
      ]);
    });

    test("the linter is not vacuous: it finds what an operation without an operationId or a 4xx lacks", async () => {
      const broken = structuredClone(document);
      delete broken.paths["/v1/runs"].get.operationId;
      for (const code of Object.keys(broken.paths["/v1/runs"].get.responses)) {
        if (code.startsWith("4")) delete broken.paths["/v1/runs"].get.responses[code];
      }
      const { problems } = await lintOffline(JSON.stringify(broken), `${server.url}/openapi.json`);
      expect(problems.map(({ severity, ruleId }) => `${severity} ${ruleId}`)).toEqual(
        expect.arrayContaining(["error operation-operationId", "warn operation-4xx-response"]),
      );
    });
  });

  describe("servers", () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(backend, {
        env: { PUBLIC_URL: "https://billing.acme.test/flows/" },
      });
    });
    afterAll(() => server.close());

    test("PUBLIC_URL is the server, in the document and in Swagger UI's", async () => {
      expect((await server.call("GET", "/openapi.json")).json.servers).toEqual([
        { url: "https://billing.acme.test/flows" },
      ]);
      expect((await server.call("GET", "/docs/json")).json.servers).toEqual([
        { url: "https://billing.acme.test/flows" },
      ]);
    });
  });
});
