import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { parseBody } from "../body.ts";
import {
  alreadyCanceledSubscription,
  badRequest,
  issue,
  notFound,
  validationError,
} from "../errors.ts";
import { CANCELLATION_REASONS, SUBSCRIPTION_STATUSES, type SubscriptionRecord } from "../model.ts";
import { metadataMatches, QueryReader } from "../query.ts";
import { subscriptionJson } from "../serialize.ts";
import {
  inOrganization,
  paginate,
  pathUuid,
  type RouteContext,
  rawQuery,
  sortRecords,
} from "./common.ts";
import { metadataInput } from "./schemas.ts";

const SORTING = [
  "customer",
  "-customer",
  "status",
  "-status",
  "started_at",
  "-started_at",
  "current_period_end",
  "-current_period_end",
  "ended_at",
  "-ended_at",
  "ends_at",
  "-ends_at",
  "amount",
  "-amount",
  "product",
  "-product",
  "discount",
  "-discount",
] as const;

const ACTIVE = new Set(["trialing", "active"]);
/** `active=false` matches ended states only: `past_due` is neither active nor inactive. */
const INACTIVE = new Set(["incomplete", "incomplete_expired", "canceled", "unpaid"]);

const reason = z.enum(CANCELLATION_REASONS).nullable().optional();
const comment = z.string().nullable().optional();

const cancelBody = z.strictObject({
  cancel_at_period_end: z.boolean(),
  customer_cancellation_reason: reason,
  customer_cancellation_comment: comment,
});

const revokeBody = z.strictObject({
  revoke: z.literal(true),
  customer_cancellation_reason: reason,
  customer_cancellation_comment: comment,
});

const baseBody = z.strictObject({
  metadata: metadataInput.optional(),
  product_id: z.uuidv4().nullable().optional(),
  proration_behavior: z.enum(["invoice", "prorate", "next_period", "reset"]).nullable().optional(),
  discount_id: z.uuidv4().nullable().optional(),
  trial_end: z
    .union([z.iso.datetime({ offset: true }), z.literal("now")])
    .nullable()
    .optional(),
});

/** Members of `SubscriptionUpdate` the simulator does not implement, by their marker field. */
const UNSUPPORTED_UPDATES = [
  "seats",
  "current_billing_period_end",
  "pause_at_period_end",
  "resume",
  "pending_update",
];

export function subscriptionRoutes(app: FastifyInstance, { store }: RouteContext): void {
  app.get("/v1/subscriptions/", async (request) => {
    const query = new QueryReader(rawQuery(request));
    const organizationIds = query.uuidList("organization_id");
    const productIds = query.uuidList("product_id");
    const customerIds = query.uuidList("customer_id");
    const externalCustomerIds = query.stringList("external_customer_id");
    const discountIds = query.uuidList("discount_id");
    const active = query.bool("active");
    const statuses = query.enumList("status", SUBSCRIPTION_STATUSES);
    const cancelAtPeriodEnd = query.bool("cancel_at_period_end");
    const reasons = query.enumList("customer_cancellation_reason", CANCELLATION_REASONS);
    const canceledAfter = query.dateTime("canceled_at_after");
    const canceledBefore = query.dateTime("canceled_at_before");
    const startedAfter = query.dateTime("started_after");
    const startedBefore = query.dateTime("started_before");
    const metadata = query.metadata();
    const { page, limit } = query.pagination();
    const sorting = query.sorting(SORTING, ["-started_at"]);
    query.finish();

    const externalToId = new Map(
      store.customers
        .filter((customer) => customer.external_id !== null)
        .map((customer) => [customer.external_id, customer.id]),
    );
    const matching = store.subscriptions.filter(
      (subscription) =>
        inOrganization(store, organizationIds) &&
        (productIds === undefined || productIds.includes(subscription.product_id)) &&
        (customerIds === undefined || customerIds.includes(subscription.customer_id)) &&
        (externalCustomerIds === undefined ||
          externalCustomerIds.some(
            (externalId) => externalToId.get(externalId) === subscription.customer_id,
          )) &&
        (discountIds === undefined || discountIds.length === 0) &&
        (active === undefined || (active ? ACTIVE : INACTIVE).has(subscription.status)) &&
        (statuses === undefined || statuses.includes(subscription.status)) &&
        (cancelAtPeriodEnd === undefined ||
          subscription.cancel_at_period_end === cancelAtPeriodEnd) &&
        (reasons === undefined ||
          (subscription.customer_cancellation_reason !== null &&
            reasons.includes(subscription.customer_cancellation_reason))) &&
        within(subscription.canceled_at, canceledAfter, canceledBefore) &&
        within(subscription.started_at, startedAfter, startedBefore) &&
        metadataMatches(subscription.metadata, metadata),
    );
    const sorted = sortRecords(matching, sorting, {
      customer: (subscription) => store.customer(subscription.customer_id)?.email ?? null,
      status: (subscription) => subscription.status,
      started_at: (subscription) => subscription.started_at,
      current_period_end: (subscription) => subscription.current_period_end,
      ended_at: (subscription) => subscription.ended_at,
      ends_at: (subscription) => subscription.ends_at,
      amount: (subscription) => store.product(subscription.product_id)?.price.amount ?? null,
      product: (subscription) => store.product(subscription.product_id)?.name ?? null,
      discount: () => null,
    });
    const result = paginate(sorted, page, limit);
    return {
      ...result,
      items: result.items.map((subscription) => subscriptionJson(store, subscription)),
    };
  });

  app.get("/v1/subscriptions/:id", async (request) => {
    const subscription = store.subscription(pathUuid(request));
    if (!subscription) throw notFound();
    return subscriptionJson(store, subscription);
  });

  app.patch("/v1/subscriptions/:id", async (request) => {
    const id = pathUuid(request);
    const body = request.body;
    const subscription = () => {
      const record = store.subscription(id);
      if (!record) throw notFound();
      return record;
    };
    const fields =
      typeof body === "object" && body !== null && !Array.isArray(body) ? Object.keys(body) : [];

    if (fields.includes("cancel_at_period_end")) {
      const update = parseBody(cancelBody, body);
      return subscriptionJson(
        store,
        update.cancel_at_period_end ? cancel(subscription(), update) : uncancel(subscription()),
      );
    }
    if (fields.includes("revoke")) {
      const update = parseBody(revokeBody, body);
      return subscriptionJson(store, revoke(subscription(), update));
    }
    const unsupported = UNSUPPORTED_UPDATES.find((field) => fields.includes(field));
    if (unsupported !== undefined) {
      throw validationError([
        issue.value(
          ["body", unsupported],
          "This subscription update is not supported by the Polar simulator.",
          body,
        ),
      ]);
    }
    const update = parseBody(baseBody, body);
    if (update.discount_id || update.trial_end) {
      const field = update.discount_id ? "discount_id" : "trial_end";
      throw validationError([
        issue.value(
          ["body", field],
          "This subscription update is not supported by the Polar simulator.",
          update[field],
        ),
      ]);
    }
    const record = subscription();
    if (update.product_id) changeProduct(record, update.product_id);
    if (update.metadata !== undefined) record.metadata = update.metadata;
    record.modified_at = store.now();
    return subscriptionJson(store, record);
  });

  /** Polar's `can_cancel`: only a live subscription that is not already ending. */
  function assertCancellable(record: SubscriptionRecord, immediately: boolean): void {
    if (!ACTIVE.has(record.status) && record.status !== "past_due")
      throw alreadyCanceledSubscription();
    if (record.ended_at !== null) throw alreadyCanceledSubscription();
    if (!immediately && (record.cancel_at_period_end || record.ends_at !== null))
      throw alreadyCanceledSubscription();
  }

  function cancel(
    record: SubscriptionRecord,
    update: {
      customer_cancellation_reason?: SubscriptionRecord["customer_cancellation_reason"];
      customer_cancellation_comment?: string | null;
    },
  ): SubscriptionRecord {
    assertCancellable(record, false);
    const now = store.now();
    record.cancel_at_period_end = true;
    record.canceled_at = now;
    record.ends_at = record.current_period_end;
    if (update.customer_cancellation_reason)
      record.customer_cancellation_reason = update.customer_cancellation_reason;
    if (update.customer_cancellation_comment)
      record.customer_cancellation_comment = update.customer_cancellation_comment;
    record.modified_at = now;
    return record;
  }

  function uncancel(record: SubscriptionRecord): SubscriptionRecord {
    if (record.ended_at !== null) throw alreadyCanceledSubscription();
    if (!(ACTIVE.has(record.status) && record.cancel_at_period_end)) throw badRequest();
    record.cancel_at_period_end = false;
    record.canceled_at = null;
    record.ends_at = null;
    record.customer_cancellation_reason = null;
    record.customer_cancellation_comment = null;
    record.modified_at = store.now();
    return record;
  }

  function revoke(
    record: SubscriptionRecord,
    update: {
      customer_cancellation_reason?: SubscriptionRecord["customer_cancellation_reason"];
      customer_cancellation_comment?: string | null;
    },
  ): SubscriptionRecord {
    assertCancellable(record, true);
    const now = store.now();
    record.status = "canceled";
    record.cancel_at_period_end = false;
    record.canceled_at = now;
    record.ends_at = now;
    record.ended_at = now;
    if (update.customer_cancellation_reason)
      record.customer_cancellation_reason = update.customer_cancellation_reason;
    if (update.customer_cancellation_comment)
      record.customer_cancellation_comment = update.customer_cancellation_comment;
    record.modified_at = now;
    return record;
  }

  function changeProduct(record: SubscriptionRecord, productId: string): void {
    if (record.ended_at !== null || record.cancel_at_period_end)
      throw alreadyCanceledSubscription();
    const product = store.product(productId);
    const problem = !product
      ? "Product does not exist."
      : product.is_archived
        ? "Product is archived."
        : product.recurring_interval === null
          ? "Product is not recurring."
          : null;
    if (problem !== null)
      throw validationError([issue.value(["body", "product_id"], problem, productId)]);
    record.product_id = productId;
  }
}

function within(
  value: number | null,
  after: number | undefined,
  before: number | undefined,
): boolean {
  if (after === undefined && before === undefined) return true;
  if (value === null) return false;
  return (after === undefined || value >= after) && (before === undefined || value <= before);
}
