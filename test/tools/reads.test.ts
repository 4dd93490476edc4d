/**
 * The tools below the HTTP layer, reads: each tool's JSON Schema and the Polar requests each
 * read makes.
 */
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import {
  ADA_USAGE_BY_ENDPOINT,
  CUSTOMERS,
  METER,
  SUBSCRIPTIONS,
} from "../../polar/simulator/seed.ts";
import { ToolArgumentsError } from "../../tools/errors.ts";
import { jsonSchemaOf, toolAnswerSchema, toolListings, tools } from "../../tools/registry.ts";
import { describeEachBackend } from "../helpers/backends.ts";
import { ADA, startToolHarness, type ToolHarness } from "./harness.ts";

describe("the registry", () => {
  test("every tool: a plain name, a description for a model, object parameters that compile as JSON Schema", () => {
    const ajv = new Ajv({ strict: false });
    // ajv-formats is CommonJS: its function is the default export's default.
    const addFormats = addFormatsModule as unknown as { default: (ajv: Ajv) => void };
    addFormats.default(ajv);
    const listings = toolListings();
    expect(listings.map((tool) => tool.name)).toEqual([
      "get_customer",
      "list_subscriptions",
      "list_events",
      "get_usage",
      "ingest_event",
      "create_checkout",
      "schedule_cancellation",
      "create_benefit",
      "start_overage_remediation",
      "start_subscription_offboarding",
      "get_run",
    ]);
    for (const listing of listings) {
      expect(Object.keys(listing)).toEqual(["name", "description", "parameters"]);
      expect(listing.name).toMatch(/^[a-z_]{1,64}$/);
      expect(listing.name).not.toMatch(/delete|revoke|resume|approve/);
      expect(listing.description.length).toBeGreaterThan(150);
      expect(listing.parameters).toMatchObject({ type: "object", additionalProperties: false });
      expect(listing.parameters.$schema).toBeUndefined();
      expect(() => ajv.compile(listing.parameters)).not.toThrow();
    }
    for (const tool of tools) {
      expect(() =>
        ajv.compile(jsonSchemaOf(toolAnswerSchema(tool.output), "output")),
      ).not.toThrow();
    }
  });

  test("defaults are optional in the parameters; approval is never a parameter", () => {
    const byName = Object.fromEntries(toolListings().map((tool) => [tool.name, tool.parameters]));
    expect(byName.list_subscriptions!.required).toBeUndefined();
    expect(byName.get_usage!.required).toEqual(["customer", "usage"]);
    for (const parameters of Object.values(byName)) {
      expect(Object.keys(parameters.properties as object)).not.toContain("require_approval");
    }
    expect(JSON.stringify(byName.create_benefit)).toContain('"const":"meter_credit"');
    expect(JSON.stringify(byName.ingest_event)).toContain('"maxProperties":50');
  });
});

describeEachBackend("tools", (backend) => {
  let harness: ToolHarness;
  beforeAll(async () => {
    harness = await startToolHarness(backend);
  });
  afterAll(() => harness.close());
  beforeEach(() => harness.reset());

  describe("reads: straight through the gateway, one page per request", () => {
    test("get_customer: customer, active subscriptions and meters in one request", async () => {
      const answer = await harness.call("get_customer", { customer: ADA });
      expect(answer).toMatchObject({
        status: "completed",
        result: {
          customer: {
            id: CUSTOMERS.ada.id,
            external_id: "external_usr_881",
            active_subscriptions: [{ id: SUBSCRIPTIONS.adaStarter, status: "active" }],
            meters: [{ meter_id: METER.id, credited_units: 10_000, consumed_units: 15_000 }],
          },
        },
      });
      expect(harness.polarRequests()).toEqual([
        "GET /v1/customers/external/external_usr_881/state",
      ]);
      expect(await harness.call("get_customer", { customer: { external_id: "nobody" } })).toEqual({
        status: "completed",
        result: { customer: null },
      });
    });

    test("list_subscriptions: active by default; `status` alone lifts that default", async () => {
      const alan = { external_id: CUSTOMERS.alan.externalId };
      const active = await harness.call("list_subscriptions", { customer: alan });
      expect(active.result).toEqual({ subscriptions: [], next_cursor: null, total_count: 0 });
      const canceled = await harness.call("list_subscriptions", {
        customer: alan,
        status: ["canceled"],
      });
      expect(canceled.result).toMatchObject({
        subscriptions: [{ id: SUBSCRIPTIONS.alanStarterCanceled, status: "canceled" }],
      });
      expect(harness.polarRequests()).toEqual(["GET /v1/subscriptions/", "GET /v1/subscriptions/"]);
    });

    test("list_subscriptions: the cursor continues the same list, alone or with the same filters", async () => {
      const first = await harness.call("list_subscriptions", { limit: 2 });
      const page1 = first.result as { subscriptions: { id: string }[]; next_cursor: string };
      expect(page1.subscriptions).toHaveLength(2);
      const second = await harness.call("list_subscriptions", { cursor: page1.next_cursor });
      const page2 = second.result as { subscriptions: { id: string }[] };
      expect(page2.subscriptions.map((s) => s.id)).not.toContain(page1.subscriptions[0]!.id);
      await expect(
        harness.call("list_subscriptions", { cursor: page1.next_cursor, active: false }),
      ).rejects.toMatchObject({ issues: [{ path: "arguments.cursor" }] });
      await expect(
        harness.call("list_subscriptions", { cursor: "bm90IGEgY3Vyc29y" }),
      ).rejects.toBeInstanceOf(ToolArgumentsError);
    });

    test("list_events: at most `max_pages` requests per call, then a cursor over a fixed window", async () => {
      const first = await harness.call("list_events", {
        customer: ADA,
        name: "api_request",
        metadata: { endpoint: "/v1/chat" },
        limit: 10,
        max_pages: 3,
      });
      const page = first.result as {
        events: { metadata: Record<string, unknown>; timestamp: string }[];
        next_cursor: string;
        pages_read: number;
        total_count: number;
      };
      expect(page.events).toHaveLength(30);
      expect(page.pages_read).toBe(3);
      expect(page.total_count).toBe(ADA_USAGE_BY_ENDPOINT["/v1/chat"]);
      expect(page.events.every((event) => event.metadata.endpoint === "/v1/chat")).toBe(true);
      expect(harness.polarRequests()).toEqual(Array(3).fill("GET /v1/events/"));

      const next = await harness.call("list_events", { cursor: page.next_cursor });
      const more = next.result as { events: { timestamp: string }[] };
      expect(more.events).toHaveLength(10);
      expect(Date.parse(more.events[0]!.timestamp)).toBeLessThanOrEqual(
        Date.parse(page.events.at(-1)!.timestamp),
      );
      // The window's end was pinned at the first call.
      const query = harness.simulator.requests().at(-1)!.query as Record<string, unknown>;
      expect(query.end_timestamp).toEqual(expect.any(String));
      expect(query.page).toBe("4");
    });

    test("get_usage: events summed by group (1 + pages requests), or the meter (2 requests)", async () => {
      const byEvents = await harness.call("get_usage", {
        customer: ADA,
        usage: { event_name: "api_request", group_by: "endpoint" },
      });
      expect(byEvents.result).toMatchObject({
        usage: { source: "events", total: 15_000, by_group: ADA_USAGE_BY_ENDPOINT },
      });
      expect(harness.polarRequests()).toHaveLength(1 + 150);
      harness.reset();
      const byMeter = await harness.call("get_usage", {
        customer: ADA,
        usage: { meter_id: METER.id },
      });
      expect(byMeter.result).toMatchObject({ usage: { source: "meter", total: 15_000 } });
      expect(harness.polarRequests()).toEqual([
        "GET /v1/customers/external/external_usr_881",
        `GET /v1/meters/${METER.id}/quantities`,
      ]);
    });

    test("get_usage refuses to sum a million events one page at a time, and says to use the meter", async () => {
      await expect(
        harness.call("get_usage", {
          customer: { external_id: CUSTOMERS.edsger.externalId },
          usage: { event_name: "api_request" },
        }),
      ).rejects.toMatchObject({
        name: "ToolRefusedError",
        issues: [{ path: "arguments.usage" }],
      });
      expect(harness.polarRequests().length).toBeLessThanOrEqual(1 + 200);
    });
  });
});
