/** list_events: usage and system events, newest first, a bounded number of pages per call. */
import { z } from "zod";
import type { EventFilter } from "../polar/gateway.ts";
import { CustomerRef, metadataSchema } from "../polar/schemas.ts";
import { continueFrom, encodeCursor } from "./cursor.ts";
import type { ReadTool } from "./types.ts";
import { EventView, eventView } from "./views.ts";

const NAME = "list_events";
/** Pages one call may read: a call is bounded, and the cursor goes on from there. */
export const MAX_EVENT_PAGES = 5;

const timestamp = z.iso.datetime({ offset: true, message: "must be ISO 8601 with an offset" });

const filters = {
  customer: CustomerRef.optional().describe(
    'Whose events: exactly one of `{ "id" }` or `{ "external_id" }`. Leave out for all customers.',
  ),
  name: z.string().min(1).max(128).optional().describe("Only events with this name."),
  start_timestamp: timestamp.optional().describe("Only events after this instant."),
  end_timestamp: timestamp.optional().describe("Only events before this instant."),
  source: z
    .enum(["user", "system"])
    .optional()
    .describe("`user`: ingested usage events; `system`: Polar's own (customer.created…)."),
  depth: z
    .int()
    .min(0)
    .max(5)
    .optional()
    .describe("How many levels of child events to include (0: top level only; at most 5)."),
  parent_id: z.uuid().optional().describe("Only the descendants of this event."),
  metadata: metadataSchema(50)
    .optional()
    .describe("Only events whose metadata has these exact values."),
  sorting: z
    .enum(["-timestamp", "timestamp"])
    .optional()
    .describe("`-timestamp` (newest first, the default) or `timestamp`."),
};

const input = z
  .strictObject({
    ...filters,
    limit: z.int().min(1).max(100).default(50).describe("Events per page (1–100)."),
    max_pages: z
      .int()
      .min(1)
      .max(MAX_EVENT_PAGES)
      .default(1)
      .describe(`Pages to read in this call (1–${MAX_EVENT_PAGES}).`),
    cursor: z
      .string()
      .min(1)
      .max(60_000)
      .optional()
      .describe("`next_cursor` of the previous call: continues the same list."),
  })
  .refine(
    (args) =>
      !args.start_timestamp ||
      !args.end_timestamp ||
      Date.parse(args.start_timestamp) < Date.parse(args.end_timestamp),
    { path: ["end_timestamp"], message: "must be after start_timestamp" },
  );

const output = z.object({
  events: z.array(EventView),
  next_cursor: z
    .string()
    .nullable()
    .describe("Pass it as `cursor` to read on; null when there is nothing more."),
  total_count: z.number().nullable(),
  pages_read: z.number(),
});

export const listEvents: ReadTool<typeof input, typeof output> = {
  kind: "read",
  name: NAME,
  description:
    "List Polar events (usage events your app ingested, and Polar's system events), newest first: filter by customer (`id` or `external_id`, never both), event name, time window, source, parent event and depth (≤ 5), and exact metadata values. " +
    `Reads at most ${MAX_EVENT_PAGES} pages per call; continue with \`next_cursor\` (the window is fixed at the first call, so new events do not shift pages). ` +
    "To total usage, use get_usage instead of adding events up yourself. Read-only: it changes nothing.",
  input,
  output,
  async run(args, { polar, now }) {
    const { cursor, limit, max_pages: maxPages, ...given } = args;
    const resumed = continueFrom(NAME, cursor, given, limit);
    const { filters: chosen, pageSize } = resumed;
    let { page } = resumed;
    const pinnedEnd =
      cursor !== undefined
        ? resumed.pinnedEnd
        : given.end_timestamp
          ? undefined
          : now().toISOString();
    const filter: EventFilter = {
      ...(chosen.customer ? { customer: chosen.customer } : {}),
      ...(chosen.name ? { names: [chosen.name] } : {}),
      ...(chosen.start_timestamp ? { start: chosen.start_timestamp } : {}),
      ...(chosen.end_timestamp || pinnedEnd ? { end: chosen.end_timestamp ?? pinnedEnd } : {}),
      ...(chosen.source ? { source: chosen.source } : {}),
      ...(chosen.depth !== undefined ? { depth: chosen.depth } : {}),
      ...(chosen.parent_id ? { parentId: chosen.parent_id } : {}),
      ...(chosen.metadata ? { metadata: chosen.metadata } : {}),
      sorting: chosen.sorting ?? "-timestamp",
    };
    const events: z.infer<typeof EventView>[] = [];
    let hasMore = true;
    let totalCount: number | null = null;
    let pagesRead = 0;
    while (hasMore && pagesRead < maxPages) {
      const result = await polar.listEventsPage(filter, { page, limit: pageSize });
      events.push(...result.items.map(eventView));
      hasMore = result.has_more;
      totalCount = result.total_count;
      pagesRead += 1;
      page += 1;
    }
    return {
      events,
      next_cursor: hasMore
        ? encodeCursor({
            t: NAME,
            f: chosen,
            l: pageSize,
            p: page,
            ...(pinnedEnd ? { e: pinnedEnd } : {}),
          })
        : null,
      total_count: totalCount,
      pages_read: pagesRead,
    };
  },
};
