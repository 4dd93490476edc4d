/**
 * Tenants on their own Polar organizations (`POLAR_TOKENS`): each tenant's reads, writes and runs
 * reach only the organization of its token; a tenant without a token uses the shared one.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DEFAULT_SIMULATOR_TOKEN } from "../../polar/simulator/index.ts";
import { sqliteBackend } from "../helpers/backends.ts";
import { gatewayFor } from "../helpers/polar.ts";
import { OVERAGE_INPUT } from "../helpers/scenarios.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const ACME_KEY = `acme-${randomUUID()}`;
const GLOBEX_KEY = `globex-${randomUUID()}`;
const INITECH_KEY = `initech-${randomUUID()}`;
const GLOBEX_POLAR_TOKEN = `polar_oat_globex_${randomUUID()}`;
const ADA = { external_id: "external_usr_881" };

describe("tenants on their own Polar organizations", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(sqliteBackend(), {
      simulator: { organizations: [{ token: GLOBEX_POLAR_TOKEN, name: "Globex" }] },
      env: {
        API_KEYS: `acme=${ACME_KEY},globex=${GLOBEX_KEY},initech=${INITECH_KEY}`,
        POLAR_TOKENS: `acme=${DEFAULT_SIMULATOR_TOKEN},globex=${GLOBEX_POLAR_TOKEN}`,
        TOOLS_SKIP_APPROVAL: "globex",
        // A usage sum reads ~150 pages: more than a sandbox minute's budget.
        POLAR_RATE_LIMIT: "100000",
      },
    });
  });
  afterAll(() => server.close());

  const invoke = (key: string, tool: string, args: unknown) =>
    server.call("POST", `/v1/tools/${tool}/invoke`, { key, body: { arguments: args } });

  test("reads reach only the tenant's organization; a tenant without a token uses the shared one", async () => {
    const acme = await invoke(ACME_KEY, "get_customer", { customer: ADA });
    expect(acme.status).toBe(200);
    expect(acme.json.result.customer.external_id).toBe(ADA.external_id);
    const globex = await invoke(GLOBEX_KEY, "get_customer", { customer: ADA });
    expect(globex.status).toBe(200);
    expect(globex.json.result.customer).toBeNull();
    const initech = await invoke(INITECH_KEY, "get_customer", { customer: ADA });
    expect(initech.json.result.customer.external_id).toBe(ADA.external_id);

    const acmeSubscriptions = await invoke(ACME_KEY, "list_subscriptions", {});
    expect(acmeSubscriptions.json.result.subscriptions.length).toBeGreaterThan(0);
    const globexSubscriptions = await invoke(GLOBEX_KEY, "list_subscriptions", {});
    expect(globexSubscriptions.json.result.subscriptions).toEqual([]);
  });

  test("a tenant's writes land in its own organization only", async () => {
    const name = `tenancy_${randomUUID().slice(0, 8)}`;
    const written = await invoke(GLOBEX_KEY, "ingest_event", { customer: ADA, name });
    expect(written.status).toBe(200);
    expect(written.json.result.outcome).toBe("event_ingested");
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const filter = { names: [name], start: since, sorting: "-timestamp" as const };
    const globexEvents = gatewayFor(server.simulator, { accessToken: GLOBEX_POLAR_TOKEN });
    const demoEvents = gatewayFor(server.simulator);
    const page = { page: 1, limit: 10 };
    expect((await globexEvents.listEventsPage(filter, page)).items).toHaveLength(1);
    expect((await demoEvents.listEventsPage(filter, page)).items).toHaveLength(0);
  });

  test("runs act on their tenant's organization", async () => {
    const start = (key: string) =>
      server.call("POST", "/v1/workflows/overage-remediation/runs", {
        key,
        body: { input: OVERAGE_INPUT },
      });
    const acme = await start(ACME_KEY);
    expect(acme.json.status).toBe("interrupted");
    const globex = await start(GLOBEX_KEY);
    expect(globex.json).toMatchObject({
      status: "completed",
      output: { outcome: "customer_not_found" },
    });
  });
});
