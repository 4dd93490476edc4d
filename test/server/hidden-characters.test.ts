/**
 * Characters that change what a person reads without showing themselves (bidirectional controls,
 * zero-width characters): refused in what callers name, shown as `[U+…]` in what Polar names.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PRODUCTS } from "../../polar/simulator/seed.ts";
import { sqliteBackend } from "../helpers/backends.ts";
import { OVERAGE_INPUT } from "../helpers/scenarios.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const HIDDEN = ["\u202E", "\u202A", "\u2066", "\u2069", "\u200B", "\u200D", "\uFEFF"];
// Reads "Pro twenty-five" on screen; the characters in between say otherwise.
const DISGUISED_PRO = "Pro \u202Eevif-ytnewt\u202C";

describe("hidden characters", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(sqliteBackend(), {
      simulator: {
        customizeSeed: (data) => {
          const pro = data.products.find((product) => product.id === PRODUCTS.pro.id)!;
          pro.name = DISGUISED_PRO;
        },
      },
    });
  });
  afterAll(() => server.close());

  const named = HIDDEN.map((hidden) => [hidden.codePointAt(0)!.toString(16).toUpperCase(), hidden]);
  test.each(named)("U+%s in a caller's id or name is a 400 naming the field", async (_, hidden) => {
    server.simulator.clearRequests();
    const cases: [string, string, unknown, string][] = [
      [
        "POST",
        "/v1/workflows/overage-remediation/runs",
        { input: { ...OVERAGE_INPUT, customer: { external_id: `usr${hidden}_881` } } },
        "input.customer.external_id",
      ],
      [
        "POST",
        "/v1/workflows/overage-remediation/runs",
        { input: { ...OVERAGE_INPUT, upgrade_product: { name: `P${hidden}ro` } } },
        "input.upgrade_product.name",
      ],
      [
        "POST",
        "/v1/tools/get_customer/invoke",
        { arguments: { customer: { external_id: `ada${hidden}` } } },
        "arguments.customer.external_id",
      ],
      [
        "POST",
        "/v1/tools/ingest_event/invoke",
        {
          arguments: { customer: { external_id: "external_usr_881" }, name: `api${hidden}` },
          idempotency_key: `key${hidden}`,
        },
        "idempotency_key",
      ],
    ];
    for (const [method, path, body, field] of cases) {
      const answer = await server.call(method, path, { body });
      expect(answer.status, `${path} ${field}`).toBe(400);
      expect(answer.json.errors.map((error: { path: string }) => error.path)).toContain(field);
    }
    expect(server.simulator.requests()).toEqual([]);
  });

  test("names from Polar reach an approval with their hidden characters shown", async () => {
    const { json: run } = await server.call("POST", "/v1/workflows/overage-remediation/runs", {
      body: { input: { ...OVERAGE_INPUT, upgrade_product: { id: PRODUCTS.pro.id } } },
    });
    expect(run.status).toBe("interrupted");
    expect(run.interrupt.message).toContain("Pro [U+202E]evif-ytnewt[U+202C] checkout");
    expect(run.interrupt.message).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200B-\u200F]/);
  });
});
