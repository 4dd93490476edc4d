/** get_usage: a customer's usage over a window — Polar's meter total, or events summed by group. */
import { z } from "zod";
import { UsageSource } from "../graphs/overage-remediation/state.ts";
import { UsagePagesExceededError } from "../polar/gateway.ts";
import { CustomerRef } from "../polar/schemas.ts";
import { ToolRefusedError } from "./errors.ts";
import type { ReadTool } from "./types.ts";

/** The event path reads 100 events per request; beyond this many requests it refuses. */
export const MAX_USAGE_PAGES = 200;
const DAY_MS = 86_400_000;

const input = z.strictObject({
  customer: CustomerRef.describe(
    'Whose usage: exactly one of `{ "id" }` or `{ "external_id" }` — never both.',
  ),
  usage: UsageSource.describe(
    'What to measure: `{ "meter_id" }` (Polar\'s own total, one request) or `{ "event_name", "group_by"?, "sum_property"? }` (counts events, or sums a numeric metadata property, grouped by a metadata key).',
  ),
  window_days: z.int().min(1).max(366).default(30).describe("How many days back from now (1–366)."),
});

const output = z.object({
  customer: z
    .object({ id: z.string(), external_id: z.string().nullable(), email: z.string() })
    .nullable()
    .describe("null when Polar has no such customer (then `usage` is null too)."),
  usage: z
    .object({
      source: z.enum(["events", "meter"]),
      total: z.number(),
      by_group: z
        .record(z.string(), z.number())
        .describe("Totals per value of `group_by`, largest first (events only)."),
      window_start: z.string(),
      window_end: z.string(),
      events_read: z.number(),
    })
    .nullable(),
});

export const getUsage: ReadTool<typeof input, typeof output> = {
  kind: "read",
  name: "get_usage",
  description:
    "Total a customer's usage over the last `window_days`: from a Polar meter (`meter_id`: Polar's own aggregation, one request) or from raw events (`event_name`: counts them, or sums `sum_property`, grouped by a metadata key such as `endpoint`). " +
    `Prefer \`meter_id\` when you know the meter; the event path reads every event (100 per request, at most ${MAX_USAGE_PAGES * 100} events). ` +
    "Use it to compare usage with a plan's limit (get_customer shows credited units). Read-only: it changes nothing.",
  input,
  output,
  async run(args, { polar, now }) {
    const customer = await polar.getCustomer(args.customer);
    if (!customer) return { customer: null, usage: null };
    const end = now();
    const window = { start: new Date(end.getTime() - args.window_days * DAY_MS), end };
    const source = args.usage;
    try {
      const sum =
        "meter_id" in source
          ? await polar.sumMeterUsage({ meterId: source.meter_id, customerId: customer.id, window })
          : await polar.sumEventUsage({
              customerId: customer.id,
              eventName: source.event_name,
              window,
              ...(source.group_by ? { groupBy: source.group_by } : {}),
              ...(source.sum_property ? { sumProperty: source.sum_property } : {}),
              maxPages: MAX_USAGE_PAGES,
            });
      return {
        customer: { id: customer.id, external_id: customer.external_id, email: customer.email },
        usage: {
          source: sum.source,
          total: sum.total,
          by_group: sum.by_group,
          window_start: sum.window_start,
          window_end: sum.window_end,
          events_read: sum.events,
        },
      };
    } catch (error) {
      if (!(error instanceof UsagePagesExceededError)) throw error;
      throw new ToolRefusedError(
        `More than ${MAX_USAGE_PAGES * 100} "${"event_name" in source ? source.event_name : ""}" events in ${args.window_days} days: too many to sum event by event. Use \`usage.meter_id\` (one request), or a shorter window.`,
        [{ path: "arguments.usage", message: "too many events to sum; use meter_id" }],
      );
    }
  },
};
