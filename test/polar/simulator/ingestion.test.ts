/** The Polar simulator over HTTP through the real SDK — event ingestion: what the simulator accepts and refuses. */
import type { errors } from "@polar-sh/sdk/2026-10";
import { describe, expect, it } from "vitest";
import { CUSTOMERS } from "../../../polar/simulator/seed.ts";
import {
  DAY,
  events,
  NOW,
  polar,
  rejection,
  UNKNOWN_ID,
  useSimulator,
  validationLocs,
} from "./helpers.ts";

const ada = CUSTOMERS.ada;

useSimulator();

describe("event ingestion", () => {
  it("rejects a batch that breaks Polar's rules, with a loc for each problem", async () => {
    const future = new Date(NOW.getTime() + DAY).toISOString();
    const error = await rejection(
      polar.events.ingest({
        events: [
          { name: "ok", external_customer_id: ada.externalId },
          { name: "both", customer_id: ada.id, external_customer_id: ada.externalId } as never,
          { name: "x".repeat(129), external_customer_id: ada.externalId },
          { name: "future", external_customer_id: ada.externalId, timestamp: future },
          {
            name: "meta",
            external_customer_id: ada.externalId,
            metadata: { ["k".repeat(41)]: 1, empty: "", long: "v".repeat(501) },
          },
          {
            name: "too many",
            external_customer_id: ada.externalId,
            metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`key${i}`, i])),
          },
          {
            name: "nested",
            external_customer_id: ada.externalId,
            metadata: { nested: { a: 1 } } as never,
          },
          { name: "unknown", customer_id: UNKNOWN_ID },
          { name: "org", external_customer_id: ada.externalId, organization_id: UNKNOWN_ID },
          { name: "nobody" } as never,
        ],
      }),
    );
    expect(validationLocs(error)).toEqual([
      ["body", "events", 1],
      ["body", "events", 2, "name"],
      ["body", "events", 3, "timestamp"],
      ["body", "events", 4, "metadata", "k".repeat(41), "[key]"],
      ["body", "events", 4, "metadata", "empty"],
      ["body", "events", 4, "metadata", "long"],
      ["body", "events", 5, "metadata"],
      ["body", "events", 6, "metadata", "nested"],
      ["body", "events", 7, "customer_id"],
      ["body", "events", 8, "organization_id"],
      ["body", "events", 9, "customer_id"],
      ["body", "events", 9, "external_customer_id"],
    ]);
    const types = (error as InstanceType<typeof errors.HTTPValidationError>).error.detail?.map(
      (item) => item.type,
    );
    expect(types?.slice(1, 3)).toEqual(["string_too_long", "value_error"]);
    // All or nothing: the valid event was not stored either.
    expect(
      (await events({ external_customer_id: ada.externalId, name: "ok" })).pagination.total_count,
    ).toBe(0);
  });

  it("de-duplicates by external_id and links children to parents", async () => {
    const first = await polar.events.ingest({
      events: [
        {
          name: "api_request",
          external_customer_id: ada.externalId,
          external_id: "req-1",
          metadata: { endpoint: "/v1/chat" },
        },
        { name: "api_request", external_customer_id: ada.externalId, external_id: "req-2" },
        { name: "api_request", external_customer_id: ada.externalId, external_id: "req-2" },
      ],
    });
    expect(first).toEqual({ inserted: 2, duplicates: 1 });
    const retry = await polar.events.ingest({
      events: [
        { name: "api_request", external_customer_id: ada.externalId, external_id: "req-1" },
        {
          name: "llm_call",
          customer_id: ada.id,
          external_id: "req-3",
          parent_id: "req-1",
          metadata: { tokens: 42 },
        },
      ],
    });
    expect(retry).toEqual({ inserted: 1, duplicates: 1 });
    expect(
      (await events({ external_customer_id: ada.externalId, name: "api_request" })).pagination
        .total_count,
    ).toBe(15_002);

    const roots = await events({
      customer_id: ada.id,
      name: ["api_request", "llm_call"],
      depth: 0,
      limit: 1,
    });
    expect(roots.pagination.total_count).toBe(15_002);
    const parent = (
      await events({
        external_customer_id: ada.externalId,
        metadata: { endpoint: "/v1/chat" },
        limit: 1,
      })
    ).items[0];
    expect(parent).toMatchObject({
      child_count: 1,
      customer_id: null,
      external_customer_id: ada.externalId,
    });
    const children = await events({ parent_id: parent.id, depth: 1 });
    expect(children.items.map((event) => [event.name, event.parent_id])).toEqual([
      ["llm_call", parent.id],
    ]);

    const orphan = await rejection(
      polar.events.ingest({
        events: [{ name: "x", customer_id: ada.id, parent_id: "no-such-event" }],
      }),
    );
    expect(validationLocs(orphan)).toEqual([["body", "events", 0, "parent_id"]]);
  });
});
