/** list_subscriptions: one page of subscriptions, active ones by default. */
import { z } from "zod";
import { CustomerRef, SubscriptionStatus } from "../polar/schemas.ts";
import { continueFrom, encodeCursor } from "./cursor.ts";
import type { ReadTool } from "./types.ts";
import { SubscriptionView, subscriptionView } from "./views.ts";

const NAME = "list_subscriptions";

const filters = {
  customer: CustomerRef.optional().describe(
    'Whose subscriptions: exactly one of `{ "id" }` or `{ "external_id" }`. Leave out to list across all customers.',
  ),
  product_id: z
    .uuid()
    .optional()
    .describe("Only subscriptions to this product (Polar product id)."),
  active: z
    .boolean()
    .optional()
    .describe("true: active or trialing; false: neither. Default: true, unless `status` is given."),
  status: z
    .array(SubscriptionStatus)
    .min(1)
    .max(7)
    .optional()
    .describe("Only these statuses (e.g. `past_due`, which is neither active nor inactive)."),
  cancel_at_period_end: z
    .boolean()
    .optional()
    .describe("true: only subscriptions already scheduled to end at the end of their period."),
};

const input = z.strictObject({
  ...filters,
  limit: z.int().min(1).max(100).default(20).describe("Subscriptions per call (1–100)."),
  cursor: z
    .string()
    .min(1)
    .max(20_000)
    .optional()
    .describe("`next_cursor` of the previous call: continues the same list."),
});

const output = z.object({
  subscriptions: z.array(SubscriptionView),
  next_cursor: z
    .string()
    .nullable()
    .describe("Pass it as `cursor` to read the next page; null when there is none."),
  total_count: z.number().nullable(),
});

export const listSubscriptions: ReadTool<typeof input, typeof output> = {
  kind: "read",
  name: NAME,
  description:
    "List Polar subscriptions, newest first: a customer's (by `id` or `external_id`, never both), a product's, or all. Only active ones (active or trialing) unless you say otherwise. " +
    "One page per call; continue with `next_cursor`. Use it to find which plan a customer is on and the subscription id that other tools need. " +
    "Read-only: it changes nothing.",
  input,
  output,
  async run(args, { polar }) {
    const { cursor, limit, ...given } = args;
    const { filters: chosen, page, pageSize } = continueFrom(NAME, cursor, given, limit);
    const active = chosen.active ?? (chosen.status ? undefined : true);
    const result = await polar.listSubscriptionsPage(
      {
        ...(chosen.customer ? { customer: chosen.customer } : {}),
        ...(chosen.product_id ? { productId: chosen.product_id } : {}),
        ...(active !== undefined ? { active } : {}),
        ...(chosen.status ? { status: chosen.status } : {}),
        ...(chosen.cancel_at_period_end !== undefined
          ? { cancelAtPeriodEnd: chosen.cancel_at_period_end }
          : {}),
      },
      { page, limit: pageSize },
    );
    return {
      subscriptions: result.items.map(subscriptionView),
      next_cursor: result.has_more
        ? encodeCursor({ t: NAME, f: chosen, l: pageSize, p: page + 1 })
        : null,
      total_count: result.total_count,
    };
  },
};
