/** create_checkout: a checkout link for a customer and a product, after a person approves. */
import { z } from "zod";
import {
  type Checkout,
  CustomerRef,
  metadataSchema,
  ProductRef,
  RESERVED_METADATA_KEYS,
} from "../../polar/schemas.ts";
import { describeRef } from "../format.ts";
import type { WriteTool } from "./types.ts";

const TOOL = "create_checkout";
/** A checkout for this run cannot be older than its plan; the margin absorbs clock skew. */
const CLOCK_SKEW_MARGIN_MS = 10 * 60_000;

const input = z.strictObject({
  customer: CustomerRef.describe(
    'Who pays: exactly one of `{ "id" }` or `{ "external_id" }` — never both. The checkout names the customer by Polar id.',
  ),
  product: ProductRef.describe(
    'What they buy: `{ "id": "<Polar product UUID>" }` or `{ "name": "Pro" }` (exact name, case-insensitive, among products that are not archived; several matches end the call without a guess).',
  ),
  success_url: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe("Where Polar sends the customer after paying; may contain {CHECKOUT_ID}."),
  metadata: metadataSchema(50 - RESERVED_METADATA_KEYS)
    .optional()
    .describe("Your own references, kept on the checkout (Polar's metadata rules)."),
});

const Outcome = z.enum([
  "checkout_created",
  "customer_not_found",
  "product_not_found",
  "product_ambiguous",
  "rejected",
]);

const output = z.object({
  outcome: Outcome,
  detail: z.string().optional(),
  checkout: z
    .object({
      id: z.string(),
      url: z.string().describe("Send this link to the customer."),
      status: z.string(),
      expires_at: z.string(),
    })
    .optional(),
});

interface CheckoutPlan {
  customer: { id: string; email: string };
  product: { id: string; name: string };
  success_url?: string;
  metadata?: Record<string, string | number | boolean>;
  planned_at: string;
}

/** The caller's metadata, and which tool made the checkout. */
const checkoutMetadata = (plan: CheckoutPlan) => ({ ...plan.metadata, polar_flows_tool: TOOL });

export const createCheckout: WriteTool<typeof input, CheckoutPlan, typeof output> = {
  kind: "write",
  name: TOOL,
  description:
    "Create a Polar checkout link so a customer can buy or upgrade to a product (for example from Starter to Pro). " +
    "It starts a run that waits for a person to approve before anything is created (answer: `pending_approval` with the run); the checkout is created once, even if the call is repeated with the same idempotency key. " +
    "Use it after get_customer and list_subscriptions; do not use it to change or cancel an existing subscription, and do not call it again while the approval is pending.",
  input,
  output,
  async plan(args, { polar, now }) {
    const customer = await polar.getCustomer(args.customer);
    if (!customer) {
      return { outcome: "customer_not_found", detail: `No Polar ${describeRef(args.customer)}.` };
    }
    const resolved = await polar.resolveProduct(args.product);
    if (!("product" in resolved)) {
      return { outcome: resolved.outcome, detail: `product: ${resolved.reason}.` };
    }
    return {
      plan: {
        customer: { id: customer.id, email: customer.email },
        product: { id: resolved.product.id, name: resolved.product.name },
        ...(args.success_url ? { success_url: args.success_url } : {}),
        ...(args.metadata ? { metadata: args.metadata } : {}),
        planned_at: now().toISOString(),
      },
    };
  },
  approval(plan) {
    return {
      message:
        `Create a ${plan.product.name} checkout (product ${plan.product.id}) for ${plan.customer.email} ` +
        `(customer ${plan.customer.id}); after paying they go to ` +
        `${plan.success_url ?? "Polar's own confirmation page (no success URL)"}?`,
      proposed_action: {
        action: TOOL,
        customer_id: plan.customer.id,
        customer_email: plan.customer.email,
        product_id: plan.product.id,
        product_name: plan.product.name,
        success_url: plan.success_url ?? null,
        metadata: checkoutMetadata(plan),
      },
    };
  },
  async perform(plan, { polar, runId, write }) {
    const request = {
      key: runId,
      customerId: plan.customer.id,
      productId: plan.product.id,
      ...(plan.success_url ? { successUrl: plan.success_url } : {}),
      metadata: checkoutMetadata(plan),
      createdAfter: new Date(Date.parse(plan.planned_at) - CLOCK_SKEW_MARGIN_MS),
    };
    const summarize = (checkout: Checkout) => ({
      id: checkout.id,
      url: checkout.url,
      status: checkout.status,
      expires_at: checkout.expires_at,
    });
    const checkout = await write({
      action: "checkout.create",
      key: runId,
      customerId: plan.customer.id,
      request: {
        product_id: plan.product.id,
        customer_id: plan.customer.id,
        success_url: plan.success_url ?? null,
      },
      send: async () => summarize(await polar.createCheckout(request)),
      lookup: async () => {
        const found = await polar.findCheckout(request);
        return found ? summarize(found) : null;
      },
      objectId: (made) => made.id,
    });
    return { outcome: "checkout_created", checkout };
  },
};
