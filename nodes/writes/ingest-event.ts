/** ingest_event: record one usage event in Polar, after a person approves. */
import { z } from "zod";
import { identifier } from "../../lib/validation.ts";
import {
  CustomerRef,
  EventMetadata,
  type IngestEvent,
  ingestEventSchema,
} from "../../polar/schemas.ts";
import { describeRef } from "../format.ts";
import type { WriteTool } from "./types.ts";

const TOOL = "ingest_event";
/** Prefix of the de-duplication key polar-flows derives from the run when the caller gives none. */
export const RUN_EXTERNAL_ID_PREFIX = "polar-flows:";

const input = z.strictObject({
  customer: CustomerRef.describe(
    'Whose usage: exactly one of `{ "id" }` or `{ "external_id" }` — never both.',
  ),
  name: identifier(128).describe("Event name, e.g. `api_request` (1–128 characters)."),
  timestamp: z.iso
    .datetime({ offset: true, message: "must be ISO 8601 with an offset" })
    .refine((value) => Date.parse(value) <= Date.now() + 1_000, {
      message: "timestamp must not be in the future",
    })
    .optional()
    .describe("When it happened (not in the future). Default: when Polar receives it."),
  external_id: identifier(256)
    .optional()
    .describe(
      "Your unique id for this event: Polar ignores a second event with the same one. Default: derived from the run.",
    ),
  parent_id: identifier(256)
    .optional()
    .describe("The parent event's id (or external id), to nest this event under it."),
  metadata: EventMetadata.optional().describe(
    "At most 50 keys of at most 40 characters; values are strings of 1–500 characters, numbers or booleans.",
  ),
});

const Outcome = z.enum(["event_ingested", "duplicate", "rejected"]);

const output = z.object({
  outcome: Outcome,
  detail: z.string().optional(),
  event: z
    .object({
      name: z.string(),
      external_id: z.string(),
      timestamp: z.string().nullable().describe("null: Polar stamped it on receipt."),
    })
    .optional(),
});

interface IngestPlan {
  event: IngestEvent & { external_id: string };
}

export const ingestEvent: WriteTool<typeof input, IngestPlan, typeof output> = {
  kind: "write",
  name: TOOL,
  description:
    "Record one usage event for a customer in Polar (it counts toward metered billing). Polar's rules are checked before anything is sent: exactly one customer id, name ≤ 128 characters, no future timestamp, at most 50 metadata keys of ≤ 40 characters with values of 1–500 characters, numbers or booleans. " +
    "It starts a run that waits for a person to approve (answer: `pending_approval`); give `external_id` so a repeated call is ignored by Polar. " +
    "Do not use it to correct or remove past events: events cannot be changed or deleted.",
  input,
  output,
  async plan(args, { now, runId }) {
    const event = {
      ...("id" in args.customer
        ? { customer_id: args.customer.id }
        : { external_customer_id: args.customer.external_id }),
      name: args.name,
      // No timestamp given: Polar stamps the event on receipt (our clock may run ahead of
      // Polar's). The external_id, fixed here and checkpointed, makes a retried write a no-op.
      ...(args.timestamp ? { timestamp: args.timestamp } : {}),
      external_id: args.external_id ?? `${RUN_EXTERNAL_ID_PREFIX}${runId}`,
      ...(args.parent_id ? { parent_id: args.parent_id } : {}),
      ...(args.metadata ? { metadata: args.metadata } : {}),
    };
    ingestEventSchema(() => now().getTime()).parse(event);
    return { plan: { event } };
  },
  approval(plan) {
    const { event } = plan;
    const customer =
      "customer_id" in event
        ? describeRef({ id: event.customer_id })
        : describeRef({ external_id: event.external_customer_id });
    const keys = Object.keys(event.metadata ?? {});
    return {
      message: `Record a "${event.name}" event for ${customer}${keys.length > 0 ? ` (metadata: ${keys.join(", ")})` : ""}?`,
      proposed_action: { action: TOOL, event },
    };
  },
  async perform(plan, { polar, runId, write }) {
    const { event } = plan;
    const result = await write({
      action: "events.ingest",
      key: event.external_id,
      customerId: "customer_id" in event ? event.customer_id : null,
      request: { name: event.name, external_id: event.external_id },
      // Polar de-duplicates by external_id: sending it again is how to find out.
      send: () => polar.ingestEvents([event]),
      lookup: async () => null,
      objectId: () => null,
    });
    const summary = {
      name: event.name,
      external_id: event.external_id,
      timestamp: event.timestamp,
    };
    if (result.inserted > 0) return { outcome: "event_ingested", event: summary };
    // The run's own key: only an earlier attempt of this run can have sent it (a crash after
    // the request), so the event is in, once.
    if (event.external_id === `${RUN_EXTERNAL_ID_PREFIX}${runId}`) {
      return { outcome: "event_ingested", event: summary };
    }
    return {
      outcome: "duplicate",
      detail: `Polar already has an event with external_id "${event.external_id}"; nothing new was recorded.`,
      event: summary,
    };
  },
};
