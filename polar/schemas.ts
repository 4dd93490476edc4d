/**
 * What polar-flows reads from and sends to Polar, as zod schemas. The SDK casts JSON to its
 * types without checking; these schemas are the source of truth, so API drift fails loudly.
 * Response schemas are loose: they check the fields we use and keep the rest.
 */
import { z } from "zod";
import { identifier } from "../lib/validation.ts";

// ---- references given by callers ----

/** Exactly one of a Polar customer id or the app's own external id — never both. */
export const CustomerRef = z.union(
  [
    z.strictObject({ id: z.uuid({ message: "must be a Polar customer UUID" }) }),
    z.strictObject({ external_id: identifier(256) }),
  ],
  { error: "give exactly one of `id` (Polar customer UUID) or `external_id`" },
);
export type CustomerRef = z.infer<typeof CustomerRef>;

/** Exactly one of a product id or its (case-insensitive, non-archived) name. */
export const ProductRef = z.union(
  [
    z.strictObject({ id: z.uuid({ message: "must be a Polar product UUID" }) }),
    z.strictObject({ name: identifier(256) }),
  ],
  { error: "give exactly one of `id` (Polar product UUID) or `name`" },
);
export type ProductRef = z.infer<typeof ProductRef>;

export const CancellationReason = z.enum([
  "customer_service",
  "low_quality",
  "missing_features",
  "switched_service",
  "too_complex",
  "too_expensive",
  "unused",
  "other",
]);
export type CancellationReason = z.infer<typeof CancellationReason>;

// ---- responses ----

const timestamp = z.string().min(1);
const nullableTimestamp = timestamp.nullable();
const metadata = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

export const Customer = z.looseObject({
  id: z.string(),
  external_id: z.string().nullable(),
  email: z.string(),
  name: z.string().nullable(),
  organization_id: z.string(),
  metadata: metadata,
});
export type Customer = z.infer<typeof Customer>;

export const Product = z.looseObject({
  id: z.string(),
  name: z.string(),
  is_recurring: z.boolean(),
  is_archived: z.boolean(),
  recurring_interval: z.string().nullable().optional(),
});
export type Product = z.infer<typeof Product>;

export const SubscriptionStatus = z.enum([
  "incomplete",
  "incomplete_expired",
  "trialing",
  "active",
  "past_due",
  "canceled",
  "unpaid",
]);
export type SubscriptionStatus = z.infer<typeof SubscriptionStatus>;

export const Subscription = z.looseObject({
  id: z.string(),
  status: SubscriptionStatus,
  amount: z.number(),
  currency: z.string(),
  current_period_start: timestamp,
  current_period_end: nullableTimestamp,
  cancel_at_period_end: z.boolean(),
  canceled_at: nullableTimestamp,
  ends_at: nullableTimestamp,
  customer_id: z.string(),
  product_id: z.string(),
  product: Product,
});
export type Subscription = z.infer<typeof Subscription>;

export const CustomerState = Customer.extend({
  active_subscriptions: z.array(
    z.looseObject({
      id: z.string(),
      // Polar's spec and server say active|trialing; the SDK 1.0.1 types say otherwise.
      status: z.enum(["active", "trialing"]),
      product_id: z.string(),
      current_period_end: nullableTimestamp,
      cancel_at_period_end: z.boolean(),
      started_at: nullableTimestamp,
    }),
  ),
  active_meters: z.array(
    z.looseObject({
      meter_id: z.string(),
      consumed_units: z.number(),
      credited_units: z.number(),
      balance: z.number(),
    }),
  ),
});
export type CustomerState = z.infer<typeof CustomerState>;

export const CustomerMeter = z.looseObject({
  id: z.string(),
  customer_id: z.string(),
  meter_id: z.string(),
  consumed_units: z.number(),
  credited_units: z.number(),
  balance: z.number(),
});
export type CustomerMeter = z.infer<typeof CustomerMeter>;

/** A customer's meter as a meter's listing gives it: with the customer (for its external id). */
export const MeterCustomer = CustomerMeter.extend({ customer: Customer });
export type MeterCustomer = z.infer<typeof MeterCustomer>;

export const Meter = z.looseObject({ id: z.string(), name: z.string() });
export type Meter = z.infer<typeof Meter>;

export const PolarEvent = z.looseObject({
  id: z.string(),
  timestamp: timestamp,
  name: z.string(),
  source: z.string(),
  customer_id: z.string().nullable(),
  external_customer_id: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
});
export type PolarEvent = z.infer<typeof PolarEvent>;

export const MeterQuantities = z.looseObject({
  quantities: z.array(z.looseObject({ timestamp: timestamp, quantity: z.number() })),
  total: z.number(),
});

export const Checkout = z.looseObject({
  id: z.string(),
  created_at: timestamp,
  status: z.enum(["open", "expired", "confirmed", "succeeded", "failed"]),
  url: z.string(),
  expires_at: timestamp,
  customer_id: z.string().nullable(),
  product_id: z.string().nullable(),
  metadata: metadata,
});
export type Checkout = z.infer<typeof Checkout>;

export const Benefit = z.looseObject({
  id: z.string(),
  type: z.string(),
  description: z.string(),
  metadata: metadata,
});
export type Benefit = z.infer<typeof Benefit>;

export const IngestResult = z.looseObject({ inserted: z.number(), duplicates: z.number() });

/** Page of a list endpoint: page-number pagination, or the cursor form `events.list` may answer. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.looseObject({
    items: z.array(item),
    pagination: z.union([
      z.looseObject({ total_count: z.number(), max_page: z.number() }),
      z.looseObject({ has_next_page: z.boolean() }),
    ]),
  });
}

// ---- event ingestion: Polar's rules, checked before anything is sent ----

const metadataKey = z
  .string()
  .min(1)
  .max(40, { message: "metadata keys are at most 40 characters" });
const metadataValue = z.union([
  z.string().min(1, { message: "string values are 1 to 500 characters" }).max(500, {
    message: "string values are 1 to 500 characters",
  }),
  z.number().refine(Number.isFinite, { message: "numbers must be finite" }),
  z.boolean(),
]);

/**
 * Polar's metadata rules (events, checkouts, benefits): ≤ 50 keys of ≤ 40 characters; values are
 * strings of 1–500 characters, numbers or booleans. `maxKeys` leaves room for polar-flows' own keys.
 */
export function metadataSchema(maxKeys = 50) {
  return z
    .record(metadataKey, metadataValue)
    .refine((value) => Object.keys(value).length <= maxKeys, {
      message: `at most ${maxKeys} metadata keys`,
    })
    .meta({ maxProperties: maxKeys });
}

export const EventMetadata = metadataSchema(50);

/** Builds the schema with a clock so "not in the future" can be tested deterministically. */
export function ingestEventSchema(now: () => number = Date.now) {
  const base = {
    name: identifier(128),
    timestamp: z.iso
      .datetime({ offset: true })
      .refine((value) => Date.parse(value) <= now() + 1_000, {
        message: "timestamp must not be in the future",
      })
      .optional(),
    external_id: identifier(256).optional(),
    parent_id: identifier(256).optional(),
    metadata: EventMetadata.optional(),
  };
  return z.union(
    [
      z.strictObject({ ...base, customer_id: z.uuid() }),
      z.strictObject({ ...base, external_customer_id: identifier(256) }),
    ],
    { error: "give exactly one of `customer_id` or `external_customer_id`" },
  );
}
export type IngestEvent = z.infer<ReturnType<typeof ingestEventSchema>>;

// ---- benefit creation: the types polar-flows creates, each with its own `properties` ----

/** Metadata keys polar-flows adds to what it creates (the idempotency key and the origin). */
export const RESERVED_METADATA_KEYS = 2;

const benefitCommon = {
  description: z
    .string()
    .min(3)
    .max(42)
    .describe("Shown on products that carry the benefit; 3 to 42 characters."),
  metadata: metadataSchema(50 - RESERVED_METADATA_KEYS).optional(),
};

/** `POST /v1/benefits/` bodies for `custom`, `feature_flag` and `meter_credit` (spec 2026-10). */
export const BenefitCreate = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("custom"),
    ...benefitCommon,
    properties: z.strictObject({
      note: z
        .string()
        .nullable()
        .optional()
        .describe("Private note shared with customers who are granted the benefit."),
    }),
  }),
  z.strictObject({
    type: z.literal("feature_flag"),
    ...benefitCommon,
    properties: z
      .strictObject({})
      .describe("No properties: the flag is on for customers granted the benefit."),
  }),
  z.strictObject({
    type: z.literal("meter_credit"),
    ...benefitCommon,
    properties: z.strictObject({
      units: z.int().min(1).max(2_147_483_647).describe("Units credited to the meter each period."),
      rollover: z.boolean().describe("Whether unused units carry over to the next period."),
      meter_id: z.uuid({ message: "must be a Polar meter UUID" }),
    }),
  }),
]);
export type BenefitCreate = z.infer<typeof BenefitCreate>;
