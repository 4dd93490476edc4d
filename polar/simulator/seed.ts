/**
 * The simulator's demo data: deterministic ids (derived from names) and timestamps relative to
 * the simulator's `now`, so the data is always recent and restarts give the same ids.
 * Tests import the constants below instead of repeating figures.
 */
import { stableUuid } from "./ids.ts";
import type {
  BenefitRecord,
  CustomerRecord,
  EventRecord,
  Metadata,
  MeterRecord,
  OrganizationRecord,
  ProductRecord,
  SeriesSpec,
  SubscriptionRecord,
} from "./model.ts";
import { addMonths, DAY_MS, HOUR_MS } from "./time.ts";

export const ORGANIZATION = {
  id: stableUuid("organization:demo-org"),
  name: "Demo Org",
  slug: "demo-org",
} as const;

function product(
  key: string,
  name: string,
  amount: number,
  interval: "month" | "year",
  archived = false,
) {
  return { key, id: stableUuid(`product:${key}`), name, amount, interval, archived } as const;
}

/** Prices in cents (USD). Two live products are named `Enterprise`; an archived one is named `Pro`. */
export const PRODUCTS = {
  starter: product("starter", "Starter", 2000, "month"),
  pro: product("pro", "Pro", 9900, "month"),
  storageAddon: product("storage-addon", "Storage Add-on", 500, "month"),
  enterpriseMonthly: product("enterprise-monthly", "Enterprise", 49900, "month"),
  enterpriseYearly: product("enterprise-yearly", "Enterprise", 499000, "year"),
  proArchived: product("pro-2024", "Pro", 7900, "month", true),
  legacy: product("legacy", "Legacy", 1000, "month", true),
} as const;

export const METER = {
  id: stableUuid("meter:api-requests"),
  name: "API Requests",
  eventName: "api_request",
} as const;

export const BENEFITS = {
  starterCredits: {
    id: stableUuid("benefit:starter-credits"),
    description: "10,000 API requests a month",
    units: 10_000,
  },
  proCredits: {
    id: stableUuid("benefit:pro-credits"),
    description: "100,000 API requests a month",
    units: 100_000,
  },
  proFeatures: { id: stableUuid("benefit:pro-features"), description: "Pro features" },
  extraStorage: { id: stableUuid("benefit:extra-storage"), description: "100 GB extra storage" },
} as const;

/** Every usage series uses this endpoint mix: 7 of every 15 events search, 5 embed, 3 chat. */
export const ENDPOINT_MIX = [
  { endpoint: "/v1/search", tokens: 2, share: 7 },
  { endpoint: "/v1/embed", tokens: 5, share: 5 },
  { endpoint: "/v1/chat", tokens: 10, share: 3 },
] as const;

/** How far back the seeded usage events go (they are spread evenly over this window). */
export const USAGE_WINDOW_DAYS = 28;

function customer<ExternalId extends string | null>(
  key: string,
  externalId: ExternalId,
  name: string,
  email: string,
  apiRequests: number,
) {
  return { key, id: stableUuid(`customer:${key}`), externalId, name, email, apiRequests } as const;
}

export const CUSTOMERS = {
  ada: customer("ada", "external_usr_881", "Ada Lovelace", "ada@example.com", 15_000),
  grace: customer("grace", "usr_offboard_1", "Grace Hopper", "grace@example.com", 0),
  alan: customer("alan", "usr_no_sub", "Alan Turing", "alan@example.com", 0),
  katherine: customer("katherine", "usr_two_subs", "Katherine Johnson", "katherine@example.com", 0),
  margaret: customer("margaret", "usr_cancelling", "Margaret Hamilton", "margaret@example.com", 0),
  linus: customer("linus", "usr_on_pro", "Linus Torvalds", "linus@example.com", 20_000),
  barbara: customer("barbara", "usr_under", "Barbara Liskov", "barbara@example.com", 2_000),
  edsger: customer("edsger", "usr_million", "Edsger Dijkstra", "edsger@example.com", 1_000_000),
  ida: customer("ida", null, "Ida Rhodes", "ida@example.com", 500),
} as const;

/** Ada's usage by `endpoint` metadata: exact, since 15,000 is a whole number of 15-event cycles. */
export const ADA_USAGE_BY_ENDPOINT = {
  "/v1/search": 7_000,
  "/v1/embed": 5_000,
  "/v1/chat": 3_000,
} as const;

/** Ada's customer meter on API Requests. */
export const ADA_METER = {
  credited_units: 10_000,
  consumed_units: 15_000,
  balance: -5_000,
} as const;

function subscription(key: string) {
  return stableUuid(`subscription:${key}`);
}

export const SUBSCRIPTIONS = {
  adaStarter: subscription("ada-starter"),
  gracePro: subscription("grace-pro"),
  alanStarterCanceled: subscription("alan-starter"),
  katherinePro: subscription("katherine-pro"),
  katherineStorage: subscription("katherine-storage"),
  margaretProCancelling: subscription("margaret-pro"),
  linusPro: subscription("linus-pro"),
  barbaraStarter: subscription("barbara-starter"),
  edsgerStarter: subscription("edsger-starter"),
  idaStarter: subscription("ida-starter"),
} as const;

/** Grace's Pro period: it started 11 days before `now` and lasts one calendar month. */
export const GRACE_PERIOD_START_DAYS_AGO = 11;

export interface SeedData {
  organization: OrganizationRecord;
  customers: CustomerRecord[];
  products: ProductRecord[];
  benefits: BenefitRecord[];
  meters: MeterRecord[];
  subscriptions: SubscriptionRecord[];
  series: SeriesSpec[];
  /** Polar's own (system) events for the seeded customers. */
  events: EventRecord[];
}

const NO_METADATA: Metadata = {};

export function createSeedData(nowDate: Date): SeedData {
  const now = nowDate.getTime();
  const daysAgo = (days: number) => now - days * DAY_MS;

  const benefits: BenefitRecord[] = [
    {
      id: BENEFITS.starterCredits.id,
      created_at: daysAgo(640),
      type: "meter_credit",
      description: BENEFITS.starterCredits.description,
      visibility: "public",
      properties: { units: BENEFITS.starterCredits.units, rollover: false, meter_id: METER.id },
      metadata: NO_METADATA,
    },
    {
      id: BENEFITS.proCredits.id,
      created_at: daysAgo(639),
      type: "meter_credit",
      description: BENEFITS.proCredits.description,
      visibility: "public",
      properties: { units: BENEFITS.proCredits.units, rollover: false, meter_id: METER.id },
      metadata: NO_METADATA,
    },
    {
      id: BENEFITS.proFeatures.id,
      created_at: daysAgo(638),
      type: "feature_flag",
      description: BENEFITS.proFeatures.description,
      visibility: "public",
      properties: {},
      metadata: { flag: "pro" },
    },
    {
      id: BENEFITS.extraStorage.id,
      created_at: daysAgo(520),
      type: "custom",
      description: BENEFITS.extraStorage.description,
      visibility: "public",
      properties: { note: "Storage is provisioned within one business day." },
      metadata: NO_METADATA,
    },
  ];

  const productDetails: Record<
    keyof typeof PRODUCTS,
    { createdDaysAgo: number; description: string; benefits: string[]; archivedDaysAgo?: number }
  > = {
    legacy: {
      createdDaysAgo: 900,
      description: "The original plan.",
      benefits: [],
      archivedDaysAgo: 700,
    },
    proArchived: {
      createdDaysAgo: 700,
      description: "Pro, priced before 2025.",
      benefits: [BENEFITS.proCredits.id],
      archivedDaysAgo: 599,
    },
    starter: {
      createdDaysAgo: 600,
      description: "For side projects: 10,000 API requests a month.",
      benefits: [BENEFITS.starterCredits.id],
    },
    pro: {
      createdDaysAgo: 599,
      description: "For growing teams: 100,000 API requests a month.",
      benefits: [BENEFITS.proCredits.id, BENEFITS.proFeatures.id],
    },
    storageAddon: {
      createdDaysAgo: 500,
      description: "100 GB of extra storage.",
      benefits: [BENEFITS.extraStorage.id],
    },
    enterpriseMonthly: {
      createdDaysAgo: 300,
      description: "Enterprise, billed monthly.",
      benefits: [BENEFITS.proCredits.id, BENEFITS.proFeatures.id],
    },
    enterpriseYearly: {
      createdDaysAgo: 299,
      description: "Enterprise, billed yearly.",
      benefits: [BENEFITS.proCredits.id, BENEFITS.proFeatures.id],
    },
  };

  const products: ProductRecord[] = (Object.keys(PRODUCTS) as (keyof typeof PRODUCTS)[]).map(
    (key) => {
      const spec = PRODUCTS[key];
      const details = productDetails[key];
      const createdAt = daysAgo(details.createdDaysAgo);
      return {
        id: spec.id,
        created_at: createdAt,
        modified_at:
          details.archivedDaysAgo === undefined ? null : daysAgo(details.archivedDaysAgo),
        name: spec.name,
        description: details.description,
        recurring_interval: spec.interval,
        is_archived: spec.archived,
        metadata: NO_METADATA,
        price: {
          id: stableUuid(`price:${spec.key}`),
          created_at: createdAt,
          amount: spec.amount,
          currency: "usd",
        },
        benefit_ids: details.benefits,
      };
    },
  );

  const customerAges: Record<keyof typeof CUSTOMERS, number> = {
    ada: 400,
    grace: 390,
    alan: 380,
    katherine: 370,
    margaret: 360,
    linus: 350,
    barbara: 340,
    edsger: 330,
    ida: 320,
  };
  const customers: CustomerRecord[] = (Object.keys(CUSTOMERS) as (keyof typeof CUSTOMERS)[]).map(
    (key) => {
      const spec = CUSTOMERS[key];
      return {
        id: spec.id,
        created_at: daysAgo(customerAges[key]),
        external_id: spec.externalId,
        email: spec.email,
        name: spec.name,
        billing_address:
          key === "ada"
            ? {
                line1: "12 St James's Square",
                line2: null,
                postal_code: "SW1Y 4JH",
                city: "London",
                state: null,
                country: "GB",
              }
            : null,
        metadata: NO_METADATA,
      };
    },
  );

  const subscriptions: SubscriptionRecord[] = [];
  function addSubscription(options: {
    id: string;
    customerId: string;
    productKey: keyof typeof PRODUCTS;
    periodStartDaysAgo: number;
    periodsBefore: number;
    cancellation?: {
      canceledDaysAgo: number;
      reason: SubscriptionRecord["customer_cancellation_reason"];
      comment: string | null;
      ended?: boolean;
    };
  }): void {
    const periodStart = daysAgo(options.periodStartDaysAgo);
    const periodEnd = addMonths(periodStart, 1);
    const startedAt = addMonths(periodStart, -options.periodsBefore);
    const cancellation = options.cancellation;
    const ended = cancellation?.ended === true;
    subscriptions.push({
      id: options.id,
      created_at: startedAt,
      modified_at: cancellation ? daysAgo(cancellation.canceledDaysAgo) : null,
      customer_id: options.customerId,
      product_id: PRODUCTS[options.productKey].id,
      status: ended ? "canceled" : "active",
      current_period_start: periodStart,
      current_period_end: periodEnd,
      cancel_at_period_end: cancellation !== undefined,
      canceled_at: cancellation ? daysAgo(cancellation.canceledDaysAgo) : null,
      started_at: startedAt,
      ends_at: cancellation ? periodEnd : null,
      ended_at: ended ? periodEnd : null,
      customer_cancellation_reason: cancellation?.reason ?? null,
      customer_cancellation_comment: cancellation?.comment ?? null,
      metadata: NO_METADATA,
    });
  }
  // Usage customers' periods began 29 days ago, so all of their 28 days of usage is in the period.
  addSubscription({
    id: SUBSCRIPTIONS.adaStarter,
    customerId: CUSTOMERS.ada.id,
    productKey: "starter",
    periodStartDaysAgo: 29,
    periodsBefore: 5,
  });
  addSubscription({
    id: SUBSCRIPTIONS.gracePro,
    customerId: CUSTOMERS.grace.id,
    productKey: "pro",
    periodStartDaysAgo: GRACE_PERIOD_START_DAYS_AGO,
    periodsBefore: 8,
  });
  addSubscription({
    id: SUBSCRIPTIONS.alanStarterCanceled,
    customerId: CUSTOMERS.alan.id,
    productKey: "starter",
    periodStartDaysAgo: 90,
    periodsBefore: 6,
    cancellation: { canceledDaysAgo: 75, reason: "unused", comment: null, ended: true },
  });
  addSubscription({
    id: SUBSCRIPTIONS.katherinePro,
    customerId: CUSTOMERS.katherine.id,
    productKey: "pro",
    periodStartDaysAgo: 15,
    periodsBefore: 6,
  });
  addSubscription({
    id: SUBSCRIPTIONS.katherineStorage,
    customerId: CUSTOMERS.katherine.id,
    productKey: "storageAddon",
    periodStartDaysAgo: 7,
    periodsBefore: 3,
  });
  addSubscription({
    id: SUBSCRIPTIONS.margaretProCancelling,
    customerId: CUSTOMERS.margaret.id,
    productKey: "pro",
    periodStartDaysAgo: 5,
    periodsBefore: 4,
    cancellation: {
      canceledDaysAgo: 2,
      reason: "too_expensive",
      comment: "Too expensive for our team right now.",
    },
  });
  addSubscription({
    id: SUBSCRIPTIONS.linusPro,
    customerId: CUSTOMERS.linus.id,
    productKey: "pro",
    periodStartDaysAgo: 29,
    periodsBefore: 3,
  });
  addSubscription({
    id: SUBSCRIPTIONS.barbaraStarter,
    customerId: CUSTOMERS.barbara.id,
    productKey: "starter",
    periodStartDaysAgo: 29,
    periodsBefore: 2,
  });
  addSubscription({
    id: SUBSCRIPTIONS.edsgerStarter,
    customerId: CUSTOMERS.edsger.id,
    productKey: "starter",
    periodStartDaysAgo: 29,
    periodsBefore: 1,
  });
  addSubscription({
    id: SUBSCRIPTIONS.idaStarter,
    customerId: CUSTOMERS.ida.id,
    productKey: "starter",
    periodStartDaysAgo: 29,
    periodsBefore: 1,
  });

  const metadataCycle: Metadata[] = ENDPOINT_MIX.flatMap(({ endpoint, tokens, share }) =>
    Array.from({ length: share }, () => ({ endpoint, tokens })),
  );
  const series: SeriesSpec[] = Object.values(CUSTOMERS)
    .filter((spec) => spec.apiRequests > 0)
    .map((spec) => ({
      key: spec.key,
      customer_id: spec.id,
      count: spec.apiRequests,
      name: METER.eventName,
      window_start: now - USAGE_WINDOW_DAYS * DAY_MS,
      window_end: now,
      metadata_cycle: metadataCycle,
    }));

  const events: EventRecord[] = [];
  for (const record of customers) {
    events.push(
      systemEvent(
        `customer-created:${record.id}`,
        record.created_at + HOUR_MS,
        "customer.created",
        record.id,
        {
          customer_id: record.id,
          customer_email: record.email,
          customer_name: record.name,
          customer_external_id: record.external_id,
        },
      ),
    );
  }
  const creditsByProduct = new Map(products.map((item) => [item.id, item.benefit_ids]));
  for (const sub of subscriptions) {
    if (sub.status !== "active") continue;
    for (const benefitId of creditsByProduct.get(sub.product_id) ?? []) {
      const benefit = benefits.find((item) => item.id === benefitId);
      if (benefit?.type !== "meter_credit") continue;
      events.push(
        systemEvent(
          `meter-credited:${sub.id}:${benefitId}`,
          sub.current_period_start,
          "meter.credited",
          sub.customer_id,
          {
            meter_id: METER.id,
            units: benefit.properties.units as number,
            rollover: false,
          },
        ),
      );
    }
  }

  return {
    organization: { ...ORGANIZATION },
    customers,
    products,
    benefits,
    meters: [
      {
        id: METER.id,
        created_at: daysAgo(650),
        name: METER.name,
        filter: {
          conjunction: "and",
          clauses: [{ property: "name", operator: "eq", value: METER.eventName }],
        },
        aggregation: { func: "count" },
        metadata: NO_METADATA,
      },
    ],
    subscriptions,
    series,
    events,
  };
}

function systemEvent(
  key: string,
  timestamp: number,
  name: string,
  customerId: string,
  metadata: Record<string, unknown>,
): EventRecord {
  return {
    id: stableUuid(`event:${key}`),
    timestamp,
    name,
    source: "system",
    customer_id: customerId,
    external_customer_id: null,
    external_id: null,
    parent_id: null,
    depth: 0,
    metadata,
  };
}
