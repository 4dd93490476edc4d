/**
 * Guessing keys: failed sign-ins are counted per client address across /v1 and /mcp; each 401
 * says how many remain, and past the limit the address gets 429s — a right key included, so a
 * guesser cannot tell when it found one — until the window ends.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { sqliteBackend } from "../helpers/backends.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const KEY = `acme-${randomUUID()}`;

describe("failed sign-ins", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(sqliteBackend(), {
      env: { API_KEYS: `acme=${KEY}`, SIGN_IN_FAILURE_LIMIT: "3" },
    });
  });
  afterAll(() => server.close());

  test("each 401 carries the sign-in budget; past it, 429 with Retry-After, for any key", async () => {
    expect((await server.call("GET", "/v1/runs", { key: KEY })).status).toBe(200);
    const remaining: string[] = [];
    for (const path of ["/v1/runs", "/v1/workflows", "/mcp"]) {
      const wrong = await server.call(path === "/mcp" ? "POST" : "GET", path, {
        key: `guess-${randomUUID()}`,
        ...(path === "/mcp" ? { body: { jsonrpc: "2.0", id: 1, method: "tools/list" } } : {}),
      });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get("ratelimit-policy")).toBe('"sign-in";q=3;w=60');
      remaining.push(wrong.headers.get("ratelimit")!);
    }
    expect(remaining.map((value) => /r=(\d+)/.exec(value)![1])).toEqual(["2", "1", "0"]);

    for (const key of [`guess-${randomUUID()}`, KEY, undefined]) {
      const refused = await server.call("GET", "/v1/runs", key ? { key } : {});
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(refused.json).toMatchObject({ status: 429 });
      expect(refused.text).not.toContain(KEY);
    }
    // Health and docs stay open.
    expect((await server.call("GET", "/healthz")).status).toBe(200);
  });
});
