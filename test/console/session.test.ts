/**
 * The console's sessions over HTTP: who may sign in, what the cookie is (HttpOnly,
 * SameSite=Strict, no key in it), when /v1 honours it (the console header, our origin, a valid
 * signature, the key still configured), replicas sharing API_KEYS, sign-out, the sign-in rate
 * limit, and the pages and assets served.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { sqliteBackend } from "../helpers/backends.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { AGENT_KEY, APPROVER_KEY, CONSOLE_API_KEYS } from "./browser.ts";

const CONSOLE = { "x-polar-flows-console": "1" };

async function signIn(server: TestServer, key: string, headers: Record<string, string> = CONSOLE) {
  const answer = await server.call("POST", "/console/session", { body: { key }, headers });
  const setCookie = answer.headers.get("set-cookie");
  return { ...answer, setCookie, cookie: setCookie?.split(";")[0] ?? "" };
}

describe("console sessions", () => {
  let server: TestServer;
  let replica: TestServer;
  let rekeyed: TestServer;
  beforeAll(async () => {
    server = await startTestServer(sqliteBackend(), { env: { API_KEYS: CONSOLE_API_KEYS } });
    replica = await startTestServer(sqliteBackend(), { env: { API_KEYS: CONSOLE_API_KEYS } });
    rekeyed = await startTestServer(sqliteBackend(), {
      env: { API_KEYS: `acme:ops:agent=${APPROVER_KEY}` },
    });
  });
  afterAll(async () => {
    await Promise.all([server?.close(), replica?.close(), rekeyed?.close()]);
  });

  test("an approver key signs in: an HttpOnly, SameSite=Strict cookie without the key", async () => {
    const answer = await signIn(server, APPROVER_KEY);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ tenant: "acme", name: "ops", role: "approver" });
    expect(answer.setCookie).toMatch(/; HttpOnly/);
    expect(answer.setCookie).toMatch(/; SameSite=Strict/);
    expect(answer.setCookie).toMatch(/; Path=\//);
    expect(answer.setCookie).not.toContain(APPROVER_KEY);
    expect(Buffer.from(answer.cookie.split("=")[1]!, "base64url").toString()).not.toContain(
      APPROVER_KEY,
    );
  });

  test("an agent key is refused (403 approver-required), a wrong key is 401; no cookie", async () => {
    const agent = await signIn(server, AGENT_KEY);
    expect(agent.status).toBe(403);
    expect(agent.json.type).toMatch(/approver-required$/);
    expect(agent.setCookie).toBeNull();
    const wrong = await signIn(server, "not-a-key-of-this-service");
    expect(wrong.status).toBe(401);
    expect(wrong.setCookie).toBeNull();
  });

  test("sign-in needs the console header and our origin (CSRF)", async () => {
    expect((await signIn(server, APPROVER_KEY, {})).status).toBe(403);
    const foreign = await signIn(server, APPROVER_KEY, { ...CONSOLE, origin: "https://evil.test" });
    expect(foreign.status).toBe(403);
    expect(foreign.setCookie).toBeNull();
    const own = await signIn(server, APPROVER_KEY, { ...CONSOLE, origin: server.url });
    expect(own.status).toBe(200);
  });

  test("/v1 honours the cookie only with the console header, from our origin, unaltered", async () => {
    const { cookie } = await signIn(server, APPROVER_KEY);
    const whoami = (headers: Record<string, string>) =>
      server.call("GET", "/v1/whoami", { headers: { cookie, ...headers } });
    expect((await whoami(CONSOLE)).json).toEqual({ tenant: "acme", name: "ops", role: "approver" });
    expect((await whoami({})).status).toBe(401);
    expect((await whoami({ ...CONSOLE, origin: "https://evil.test" })).status).toBe(403);
    const [name, value] = cookie.split("=") as [string, string];
    const claims = JSON.parse(Buffer.from(value.split(".")[0]!, "base64url").toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, name: "other" })).toString("base64url");
    const tampered = await server.call("GET", "/v1/whoami", {
      headers: { ...CONSOLE, cookie: `${name}=${forged}.${value.split(".")[1]}` },
    });
    expect(tampered.status).toBe(401);
    expect(tampered.json.detail).toMatch(/sign in again/);
    // A state change goes through with the session (an unknown run: 404, past auth).
    const cancel = await server.call(
      "POST",
      "/v1/runs/00000000-0000-4000-8000-000000000000/cancel",
      { headers: { ...CONSOLE, cookie } },
    );
    expect(cancel.status).toBe(404);
  });

  test("another replica with the same API_KEYS takes the session; changed keys end it", async () => {
    const { cookie } = await signIn(server, APPROVER_KEY);
    const on = (other: TestServer) =>
      other.call("GET", "/v1/whoami", { headers: { ...CONSOLE, cookie } });
    expect((await on(replica)).status).toBe(200);
    expect((await on(rekeyed)).status).toBe(401);
  });

  test("sign-out clears the cookie", async () => {
    const out = await server.call("DELETE", "/console/session", { headers: CONSOLE });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(
      /^polar_flows_console=;.*Expires=Thu, 01 Jan 1970/,
    );
  });

  test("pages and assets: the shell for every console path, with a strict CSP; mermaid's ESM build only", async () => {
    for (const path of [
      "/console",
      "/console/approvals",
      "/console/runs",
      `/console/runs/${crypto.randomUUID()}`,
    ]) {
      const page = await server.call("GET", path);
      expect(page.status, path).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
      expect(page.text).toContain('src="/console/assets/app.js"');
    }
    expect((await server.call("GET", "/console/assets/app.js")).status).toBe(200);
    expect((await server.call("GET", "/console/vendor/mermaid/mermaid.esm.min.mjs")).status).toBe(
      200,
    );
    expect((await server.call("GET", "/console/vendor/mermaid/mermaid.js")).status).toBe(404);
    expect((await server.call("GET", "/console/vendor/mermaid/../package.json")).status).toBe(404);
  });

  test("sign-in attempts are rate limited per address", async () => {
    let last: Awaited<ReturnType<typeof signIn>> | undefined;
    for (let attempt = 0; attempt < 25 && last?.status !== 429; attempt++) {
      last = await signIn(replica, "not-a-key-of-this-service");
    }
    expect(last?.status).toBe(429);
    expect(last?.headers.get("content-type")).toContain("application/problem+json");
    expect(last?.headers.get("retry-after")).toMatch(/^\d+$/);
  });
});

describe("console without API_KEYS (loopback)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(sqliteBackend());
  });
  afterAll(() => server?.close());

  test("the local approver, no sign-in needed", async () => {
    const whoami = await server.call("GET", "/v1/whoami", { headers: CONSOLE });
    expect(whoami.json).toEqual({ tenant: "default", name: "local", role: "approver" });
    const signIn = await server.call("POST", "/console/session", {
      body: { key: "anything" },
      headers: CONSOLE,
    });
    expect(signIn.json).toEqual({ tenant: "default", name: "local", role: "approver" });
    expect(signIn.headers.get("set-cookie")).toBeNull();
  });
});
