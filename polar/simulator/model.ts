/**
 * The simulator's in-memory records. Timestamps are epoch milliseconds; the serializers in
 * `serialize.ts` turn records into Polar's response shapes.
 */

export type Metadata = Record<string, string | number | boolean>;

export interface Address {
  line1: string | null;
  line2: string | null;
  postal_code: string | null;
  city: string | null;
  state: string | null;
  country: string;
}

export interface OrganizationRecord {
  id: string;
  name: string;
  slug: string;
}

export interface CustomerRecord {
  id: string;
  created_at: number;
  external_id: string | null;
  email: string;
  name: string;
  billing_address: Address | null;
  metadata: Metadata;
}

export type RecurringInterval = "day" | "week" | "month" | "year";

export interface ProductRecord {
  id: string;
  created_at: number;
  modified_at: number | null;
  name: string;
  description: string | null;
  recurring_interval: RecurringInterval | null;
  is_archived: boolean;
  metadata: Metadata;
  price: { id: string; created_at: number; amount: number; currency: string };
  benefit_ids: string[];
}

export type BenefitType =
  | "custom"
  | "discord"
  | "github_repository"
  | "downloadables"
  | "license_keys"
  | "meter_credit"
  | "feature_flag"
  | "slack_shared_channel";

export interface BenefitRecord {
  id: string;
  created_at: number;
  type: BenefitType;
  description: string;
  visibility: "draft" | "private" | "public";
  properties: Record<string, unknown>;
  metadata: Metadata;
}

export interface FilterClause {
  property: string;
  operator: "eq" | "ne" | "gt" | "gte" | "lt" | "lte" | "like" | "not_like";
  value: string | number | boolean;
}

export interface Filter {
  conjunction: "and" | "or";
  clauses: (FilterClause | Filter)[];
}

export interface MeterRecord {
  id: string;
  created_at: number;
  name: string;
  filter: Filter;
  aggregation: { func: "count" };
  metadata: Metadata;
}

export const SUBSCRIPTION_STATUSES = [
  "incomplete",
  "incomplete_expired",
  "trialing",
  "active",
  "past_due",
  "canceled",
  "unpaid",
  "paused",
] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

export const CANCELLATION_REASONS = [
  "customer_service",
  "low_quality",
  "missing_features",
  "switched_service",
  "too_complex",
  "too_expensive",
  "unused",
  "other",
] as const;
export type CancellationReason = (typeof CANCELLATION_REASONS)[number];

export interface SubscriptionRecord {
  id: string;
  created_at: number;
  modified_at: number | null;
  customer_id: string;
  product_id: string;
  status: SubscriptionStatus;
  current_period_start: number;
  current_period_end: number;
  cancel_at_period_end: boolean;
  canceled_at: number | null;
  started_at: number;
  ends_at: number | null;
  ended_at: number | null;
  customer_cancellation_reason: CancellationReason | null;
  customer_cancellation_comment: string | null;
  metadata: Metadata;
}

export const CHECKOUT_STATUSES = ["open", "expired", "confirmed", "succeeded", "failed"] as const;
export type CheckoutStatus = (typeof CHECKOUT_STATUSES)[number];

export interface CheckoutRecord {
  id: string;
  created_at: number;
  client_secret: string;
  status: CheckoutStatus;
  expires_at: number;
  product_ids: string[];
  customer_id: string | null;
  external_customer_id: string | null;
  success_url: string | null;
  return_url: string | null;
  metadata: Metadata;
  customer_metadata: Metadata;
}

export type EventSourceKind = "user" | "system";

export interface EventRecord {
  id: string;
  timestamp: number;
  name: string;
  source: EventSourceKind;
  customer_id: string | null;
  external_customer_id: string | null;
  external_id: string | null;
  parent_id: string | null;
  /** Distance from the root event (0 for a root). */
  depth: number;
  metadata: Record<string, unknown>;
}

/** Usage events generated on demand: event `index` is a pure function of the index. */
export interface SeriesSpec {
  key: string;
  customer_id: string;
  count: number;
  name: string;
  window_start: number;
  window_end: number;
  /** Event `index` carries `metadata_cycle[index % metadata_cycle.length]`. */
  metadata_cycle: Metadata[];
}
