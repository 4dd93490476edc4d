/**
 * What clients read when something fails inside: a stable code and our own words. An unexpected
 * error gives an error id that the log has; Polar's (or a proxy's) bodies are never passed on.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createLogger } from "../../server/logger.ts";
import { sqliteBackend } from "../helpers/backends.ts";
import { OVERAGE_INPUT } from "../helpers/scenarios.ts";
import { startTestServer } from "../helpers/server.ts";

const TINY_RETRY_POLICY = { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 5 };
const LEAK = "pg_stat_activity host=db-prod-7 password=hunter2";

describe("internal text stays inside", () => {
  let polar: Server;
  let polarUrl: string;
  beforeAll(async () => {
    // A Polar (or a proxy in front of it) that answers with bodies no client should see.
    polar = createServer((request, response) => {
      if (request.url?.includes("/state")) {
        response.writeHead(400, { "content-type": "text/html" });
        response.end(`<html><body>Bad gateway config: ${LEAK}</body></html>`);
        return;
      }
      response.writeHead(503, { "content-type": "application/json" });
      response.end(JSON.stringify({ detail: `upstream timeout: ${LEAK}` }));
    });
    await new Promise<void>((resolve) => polar.listen(0, "127.0.0.1", resolve));
    polarUrl = `http://127.0.0.1:${(polar.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => polar.close(() => resolve())));

  test("Polar's error bodies reach neither problem details nor run records", async () => {
    const server = await startTestServer(sqliteBackend(), {
      gateway: { baseUrl: polarUrl, retryPolicy: TINY_RETRY_POLICY },
    });
    try {
      const customer = { customer: { external_id: "external_usr_881" } };
      const unavailable = await server.call("POST", "/v1/tools/list_subscriptions/invoke", {
        body: { arguments: customer },
      });
      expect(unavailable.status).toBe(503);
      expect(unavailable.json).toMatchObject({ code: "polar_unavailable", retryable: true });
      const rejected = await server.call("POST", "/v1/tools/get_customer/invoke", {
        body: { arguments: customer },
      });
      expect(rejected.status).toBeGreaterThanOrEqual(400);
      const run = await server.call("POST", "/v1/workflows/overage-remediation/runs", {
        body: { input: OVERAGE_INPUT },
      });
      expect(run.json.status).toBe("failed");
      const listed = await server.call("GET", "/v1/runs");
      for (const answer of [unavailable, rejected, run, listed]) {
        expect(answer.text).not.toContain("hunter2");
        expect(answer.text).not.toContain("<html");
      }
    } finally {
      await server.close();
    }
  });

  test("an unexpected error is stored as `internal`, in our words, with an error id the log has", async () => {
    let logs = "";
    const capture = new Writable({
      write(chunk, _encoding, done) {
        logs += chunk.toString();
        done();
      },
    });
    const server = await startTestServer(sqliteBackend(), {
      logger: createLogger({ level: "info", destination: capture }),
      // A node meets something no one classified: its text must stay in the log.
      now: () => {
        throw new TypeError(`Cannot read properties of undefined (${LEAK})`);
      },
    });
    try {
      const started = await server.call("POST", "/v1/workflows/overage-remediation/runs", {
        body: { input: OVERAGE_INPUT },
      });
      expect(started.json.status).toBe("failed");
      expect(started.json.error).toEqual({
        code: "internal",
        message: expect.stringMatching(/unexpected error/),
        retryable: false,
        error_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      const listed = await server.call("GET", "/v1/runs");
      expect(listed.text).not.toContain("hunter2");
      expect(listed.json.runs[0].error.error_id).toBe(started.json.error.error_id);
      const logged = logs
        .split("\n")
        .filter((line) => line.includes(started.json.error.error_id))
        .join("\n");
      // The operator finds the real cause under the id.
      expect(logged).toContain("Cannot read properties of undefined");
    } finally {
      await server.close();
    }
  });
});
