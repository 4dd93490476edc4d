/** Records → Polar's response shapes (every field the 2026-10 spec requires). */
import { gravatarUrl, stableUuid } from "./ids.ts";
import type {
  BenefitRecord,
  CheckoutRecord,
  CustomerRecord,
  EventRecord,
  MeterRecord,
  ProductRecord,
  SubscriptionRecord,
} from "./model.ts";
import type { SimulatorStore } from "./store.ts";
import { iso, isoOrNull } from "./time.ts";

type Json = Record<string, unknown>;

export function customerJson(store: SimulatorStore, customer: CustomerRecord): Json {
  return {
    id: customer.id,
    created_at: iso(customer.created_at),
    modified_at: null,
    metadata: customer.metadata,
    external_id: customer.external_id,
    email: customer.email,
    email_verified: true,
    type: "individual",
    name: customer.name,
    billing_name: customer.billing_address ? customer.name : null,
    billing_address: customer.billing_address,
    tax_id: null,
    locale: null,
    organization_id: store.organization.id,
    default_payment_method_id: null,
    deleted_at: null,
    first_user_event_at: isoOrNull(store.firstUserEventAt(customer)),
    avatar_url: gravatarUrl(customer.email),
  };
}

export function benefitJson(store: SimulatorStore, benefit: BenefitRecord): Json {
  return {
    id: benefit.id,
    created_at: iso(benefit.created_at),
    modified_at: null,
    type: benefit.type,
    description: benefit.description,
    selectable: true,
    deletable: true,
    is_deleted: false,
    organization_id: store.organization.id,
    metadata: benefit.metadata,
    visibility: benefit.visibility,
    properties: benefit.properties,
    visibility_configurable: true,
  };
}

function benefitPublicJson(store: SimulatorStore, benefit: BenefitRecord): Json {
  const {
    metadata: _metadata,
    visibility: _visibility,
    properties: _properties,
    visibility_configurable: _configurable,
    ...rest
  } = benefitJson(store, benefit);
  return rest;
}

function pricesJson(product: ProductRecord): Json[] {
  return [
    {
      created_at: iso(product.price.created_at),
      modified_at: null,
      id: product.price.id,
      source: "catalog",
      amount_type: "fixed",
      price_currency: product.price.currency,
      tax_behavior: null,
      is_archived: false,
      product_id: product.id,
      price_amount: product.price.amount,
    },
  ];
}

function productBaseJson(store: SimulatorStore, product: ProductRecord): Json {
  return {
    id: product.id,
    created_at: iso(product.created_at),
    modified_at: isoOrNull(product.modified_at),
    trial_interval: null,
    trial_interval_count: null,
    name: product.name,
    description: product.description,
    visibility: "public",
    recurring_interval: product.recurring_interval,
    recurring_interval_count: product.recurring_interval === null ? null : 1,
    meter_interval: null,
    meter_interval_count: null,
    is_recurring: product.recurring_interval !== null,
    is_archived: product.is_archived,
    organization_id: store.organization.id,
    prices: pricesJson(product),
    medias: [],
  };
}

function productBenefits(store: SimulatorStore, product: ProductRecord): BenefitRecord[] {
  return product.benefit_ids.flatMap((id) => store.benefit(id) ?? []);
}

export function productJson(store: SimulatorStore, product: ProductRecord): Json {
  return {
    ...productBaseJson(store, product),
    metadata: product.metadata,
    benefits: productBenefits(store, product).map((benefit) => benefitJson(store, benefit)),
    attached_custom_fields: [],
  };
}

function checkoutProductJson(store: SimulatorStore, product: ProductRecord): Json {
  return {
    ...productBaseJson(store, product),
    benefits: productBenefits(store, product).map((benefit) => benefitPublicJson(store, benefit)),
  };
}

export function meterJson(store: SimulatorStore, meter: MeterRecord): Json {
  return {
    metadata: meter.metadata,
    created_at: iso(meter.created_at),
    modified_at: null,
    id: meter.id,
    name: meter.name,
    unit: "scalar",
    custom_label: null,
    custom_multiplier: null,
    filter: meter.filter,
    aggregation: meter.aggregation,
    organization_id: store.organization.id,
    archived_at: null,
  };
}

function subscriptionCoreJson(subscription: SubscriptionRecord, product: ProductRecord): Json {
  return {
    id: subscription.id,
    created_at: iso(subscription.created_at),
    modified_at: isoOrNull(subscription.modified_at),
    custom_field_data: {},
    metadata: subscription.metadata,
    status: subscription.status,
    amount: product.price.amount,
    currency: product.price.currency,
    recurring_interval: product.recurring_interval ?? "month",
    current_period_start: iso(subscription.current_period_start),
    current_period_end: iso(subscription.current_period_end),
    trial_start: null,
    trial_end: null,
    cancel_at_period_end: subscription.cancel_at_period_end,
    canceled_at: isoOrNull(subscription.canceled_at),
    started_at: iso(subscription.started_at),
    ends_at: isoOrNull(subscription.ends_at),
    product_id: subscription.product_id,
    discount_id: null,
    meters: [],
  };
}

export function subscriptionJson(store: SimulatorStore, subscription: SubscriptionRecord): Json {
  const product = store.product(subscription.product_id);
  const customer = store.customer(subscription.customer_id);
  if (!product || !customer)
    throw new Error(`Subscription ${subscription.id} has a dangling reference`);
  return {
    ...subscriptionCoreJson(subscription, product),
    recurring_interval_count: 1,
    current_meter_period_start: null,
    current_meter_period_end: null,
    ended_at: isoOrNull(subscription.ended_at),
    past_due_at: null,
    pause_at_period_end: false,
    paused_at: null,
    resumes_at: null,
    customer_id: subscription.customer_id,
    checkout_id: null,
    seats: null,
    customer_cancellation_reason: subscription.customer_cancellation_reason,
    customer_cancellation_comment: subscription.customer_cancellation_comment,
    customer: customerJson(store, customer),
    product: productJson(store, product),
    discount: null,
    prices: pricesJson(product),
    pending_update: null,
  };
}

export function customerStateJson(store: SimulatorStore, customer: CustomerRecord): Json {
  const subscriptions = store.activeSubscriptions(customer.id);
  const grants = new Map<string, { benefit: BenefitRecord; grantedAt: number }>();
  for (const subscription of subscriptions) {
    const product = store.product(subscription.product_id);
    for (const benefit of product ? productBenefits(store, product) : []) {
      const granted = grants.get(benefit.id);
      if (!granted || subscription.started_at < granted.grantedAt) {
        grants.set(benefit.id, { benefit, grantedAt: subscription.started_at });
      }
    }
  }
  return {
    ...customerJson(store, customer),
    active_subscriptions: subscriptions.flatMap((subscription) => {
      const product = store.product(subscription.product_id);
      return product ? [subscriptionCoreJson(subscription, product)] : [];
    }),
    granted_benefits: [...grants.values()].map(({ benefit, grantedAt }) => ({
      id: stableUuid(`benefit-grant:${customer.id}:${benefit.id}`),
      created_at: iso(grantedAt),
      modified_at: null,
      granted_at: iso(grantedAt),
      benefit_id: benefit.id,
      benefit_type: benefit.type,
      benefit_metadata: benefit.metadata,
      properties: {},
    })),
    active_meters: store.meters.flatMap((meter) => {
      const balance = store.customerMeter(customer, meter);
      if (balance === null) return [];
      return [
        {
          id: customerMeterId(customer, meter),
          created_at: iso(customer.created_at),
          modified_at: isoOrNull(balance.since),
          meter_id: meter.id,
          consumed_units: balance.consumed_units,
          credited_units: balance.credited_units,
          balance: balance.balance,
        },
      ];
    }),
  };
}

export function customerMeterId(customer: CustomerRecord, meter: MeterRecord): string {
  return stableUuid(`customer-meter:${customer.id}:${meter.id}`);
}

export function customerMeterJson(
  store: SimulatorStore,
  customer: CustomerRecord,
  meter: MeterRecord,
): Json | null {
  const balance = store.customerMeter(customer, meter);
  if (balance === null) return null;
  return {
    id: customerMeterId(customer, meter),
    created_at: iso(customer.created_at),
    modified_at: isoOrNull(balance.since),
    customer_id: customer.id,
    meter_id: meter.id,
    consumed_units: balance.consumed_units,
    credited_units: balance.credited_units,
    balance: balance.balance,
    customer: customerJson(store, customer),
    meter: meterJson(store, meter),
  };
}

const SYSTEM_EVENT_LABELS: Record<string, string> = {
  "customer.created": "Customer Created",
  "meter.credited": "Meter Credited",
};

export function eventJson(store: SimulatorStore, event: EventRecord): Json {
  const customer = store.eventCustomer(event);
  return {
    id: event.id,
    timestamp: iso(event.timestamp),
    organization_id: store.organization.id,
    customer_id: event.customer_id,
    customer: customer ? customerJson(store, customer) : null,
    external_customer_id: event.external_customer_id,
    member_id: null,
    external_member_id: null,
    child_count: store.childCount(event.id),
    parent_id: event.parent_id,
    label: event.source === "system" ? (SYSTEM_EVENT_LABELS[event.name] ?? event.name) : event.name,
    name: event.name,
    source: event.source,
    metadata: event.metadata,
  };
}

/** Checkouts past `expires_at` read as `expired`, as Polar's expiry job would make them. */
export function checkoutStatus(
  store: SimulatorStore,
  checkout: CheckoutRecord,
): CheckoutRecord["status"] {
  return checkout.status === "open" && store.now() >= checkout.expires_at
    ? "expired"
    : checkout.status;
}

export function checkoutJson(
  store: SimulatorStore,
  checkout: CheckoutRecord,
  publicUrl: string,
): Json {
  const products = checkout.product_ids.flatMap((id) => store.product(id) ?? []);
  const product = products[0];
  const customer = checkout.customer_id ? store.customer(checkout.customer_id) : undefined;
  const amount = product.price.amount;
  const successUrl = (
    checkout.success_url ?? `${publicUrl}/checkout/${checkout.client_secret}/confirmation`
  ).replaceAll("{CHECKOUT_ID}", checkout.id);
  return {
    id: checkout.id,
    created_at: iso(checkout.created_at),
    modified_at: null,
    custom_field_data: {},
    payment_processor: "stripe",
    status: checkoutStatus(store, checkout),
    client_secret: checkout.client_secret,
    url: `${publicUrl}/checkout/${checkout.client_secret}`,
    expires_at: iso(checkout.expires_at),
    success_url: successUrl,
    return_url: checkout.return_url,
    embed_origin: null,
    amount,
    seats: null,
    min_seats: null,
    max_seats: null,
    discount_amount: 0,
    net_amount: amount,
    tax_amount: null,
    tax_behavior: null,
    total_amount: amount,
    currency: product.price.currency,
    allow_trial: true,
    active_trial_interval: null,
    active_trial_interval_count: null,
    trial_end: null,
    organization_id: store.organization.id,
    product_id: product.id,
    product_price_id: product.price.id,
    discount_id: null,
    allow_discount_codes: true,
    require_billing_address: false,
    is_discount_applicable: true,
    is_free_product_price: amount === 0,
    is_payment_required: amount > 0,
    is_payment_setup_required: product.recurring_interval !== null,
    is_payment_form_required: amount > 0,
    customer_id: checkout.customer_id,
    is_business_customer: false,
    customer_name: customer?.name ?? null,
    customer_email: customer?.email ?? null,
    customer_ip_address: null,
    customer_billing_name: null,
    customer_billing_address: customer?.billing_address ?? null,
    customer_tax_id: null,
    locale: null,
    payment_method_type: null,
    payment_processor_metadata: {},
    billing_address_fields: {
      country: "required",
      state: "disabled",
      city: "disabled",
      postal_code: "disabled",
      line1: "disabled",
      line2: "disabled",
    },
    trial_interval: null,
    trial_interval_count: null,
    metadata: checkout.metadata,
    external_customer_id: checkout.external_customer_id,
    products: products.map((item) => checkoutProductJson(store, item)),
    product: checkoutProductJson(store, product),
    product_price: pricesJson(product)[0],
    prices: Object.fromEntries(products.map((item) => [item.id, pricesJson(item)])),
    discount: null,
    subscription_id: null,
    attached_custom_fields: [],
    customer_metadata: checkout.customer_metadata,
  };
}
