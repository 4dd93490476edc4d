/**
 * One error table: the run core's errors answer the same over the REST API and through a tool
 * (and so over MCP, which answers the tools' problems).
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { ERRORS } from "../../lib/errors.ts";
import { describeEachBackend } from "../helpers/backends.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

describeEachBackend("one error table", (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend);
  });
  afterAll(() => server.close());

  test("the core's errors read the same over REST and through a tool", async () => {
    const missing = crypto.randomUUID();
    const rest = await server.call("GET", `/v1/runs/${missing}`);
    const tool = await server.call("POST", "/v1/tools/get_run/invoke", {
      body: { arguments: { run_id: missing } },
    });
    for (const answer of [rest, tool]) {
      expect(answer.status).toBe(ERRORS.not_found.status);
      expect(answer.json).toMatchObject({ type: "about:blank", title: "Not Found", status: 404 });
    }
  });
});
