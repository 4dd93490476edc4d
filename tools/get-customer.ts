/** get_customer: one customer, with plan and meters, in one Polar request. */
import { z } from "zod";
import { CustomerRef } from "../polar/schemas.ts";
import type { ReadTool } from "./types.ts";
import { CustomerStateView, customerStateView } from "./views.ts";

const input = z.strictObject({
  customer: CustomerRef.describe(
    'Exactly one of `{ "id": "<Polar customer UUID>" }` or `{ "external_id": "<your app\'s user id>" }` — never both.',
  ),
});

const output = z.object({
  customer: CustomerStateView.nullable().describe("null when Polar has no such customer."),
});

export const getCustomer: ReadTool<typeof input, typeof output> = {
  kind: "read",
  name: "get_customer",
  description:
    "Look up one Polar customer by Polar id or by your app's external id (exactly one of the two, never both), with their active subscriptions and usage meters (consumed and credited units). " +
    "Use it first, to turn a user id into the customer's Polar id and see their plan. " +
    "Read-only: it changes nothing. Do not use it to search customers by name or email.",
  input,
  output,
  async run(args, { polar }) {
    const state = await polar.getCustomerState(args.customer);
    return { customer: state ? customerStateView(state) : null };
  },
};
