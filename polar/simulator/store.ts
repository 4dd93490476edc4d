/** The simulator's state: seeded records, lazily generated usage, and everything written since. */
import {
  type EventPredicate,
  type EventSource,
  filterMatches,
  MAX_TIME,
  MIN_TIME,
  storedSource,
  UsageSeries,
} from "./events.ts";
import { stableUuid } from "./ids.ts";
import type {
  BenefitRecord,
  CheckoutRecord,
  CustomerRecord,
  EventRecord,
  MeterRecord,
  OrganizationRecord,
  ProductRecord,
  SeriesSpec,
  SubscriptionRecord,
} from "./model.ts";
import { createSeedData, type SeedData } from "./seed.ts";

/** An organization beyond the demo one, reached with its own token. */
export interface OrganizationOptions {
  token: string;
  /** Its name; its id and slug derive from it. */
  name: string;
  /** `demo`: the demo data; `empty` (default): no customers, products or events. */
  seed?: "demo" | "empty";
}

const ACTIVE_STATUSES = new Set(["active", "trialing"]);

export class SimulatorStore {
  /** The instant the seed data is relative to. */
  readonly seedNow: Date;
  private clockOrigin = Date.now();
  organization!: OrganizationRecord;
  customers!: CustomerRecord[];
  products!: ProductRecord[];
  benefits!: BenefitRecord[];
  meters!: MeterRecord[];
  subscriptions!: SubscriptionRecord[];
  checkouts!: CheckoutRecord[];
  /** Polar's system events and ingested events (the usage series are not stored). */
  storedEvents!: EventRecord[];
  series!: UsageSeries[];
  private eventsByExternalId!: Map<string, EventRecord>;
  // Indexes, so a crowd of thousands of customers answers a meter's listing page quickly.
  private customersById!: Map<string, CustomerRecord>;
  private customersByExternalId!: Map<string, CustomerRecord>;
  private subscriptionsByCustomer!: Map<string, SubscriptionRecord[]>;
  private seriesByCustomer!: Map<string, UsageSeries[]>;
  private storedEventsByCustomer!: Map<string, EventRecord[]>;
  private readonly meterListeners: ((customerId: string) => void)[] = [];
  private childCounts!: Map<string, number>;
  private sequence!: number;

  private readonly organizationOptions: OrganizationOptions | null;
  private readonly customizeSeed: ((data: SeedData) => void) | undefined;

  /**
   * The demo organization, or (with `organization`) another one; `customizeSeed` changes the
   * demo data before use (tests: records with unusual names).
   */
  constructor(
    now: Date,
    organization: OrganizationOptions | null = null,
    customizeSeed?: (data: SeedData) => void,
  ) {
    this.seedNow = now;
    this.organizationOptions = organization;
    this.customizeSeed = customizeSeed;
    this.reset();
  }

  /** Back to the seed data; the clock restarts at `seedNow`. */
  reset(): void {
    const seed = createSeedData(this.seedNow);
    this.customizeSeed?.(seed);
    const other = this.organizationOptions;
    if (other && other.seed !== "demo") {
      for (const list of [seed.customers, seed.products, seed.benefits, seed.meters])
        list.length = 0;
      for (const list of [seed.subscriptions, seed.series, seed.events]) list.length = 0;
    }
    this.clockOrigin = Date.now();
    this.organization = other
      ? {
          id: stableUuid(`organization:${other.name}`),
          name: other.name,
          slug: other.name.toLowerCase().replace(/[^a-z0-9]+/g, "-"),
        }
      : seed.organization;
    this.customers = seed.customers;
    this.products = seed.products;
    this.benefits = seed.benefits;
    this.meters = seed.meters;
    this.subscriptions = seed.subscriptions;
    this.checkouts = [];
    this.storedEvents = seed.events;
    const externalIds = new Map(seed.customers.map((record) => [record.id, record.external_id]));
    this.series = seed.series.map(
      (spec) => new UsageSeries(spec, externalIds.get(spec.customer_id) ?? null),
    );
    this.eventsByExternalId = new Map();
    this.childCounts = new Map();
    this.sequence = 0;
    this.reindex();
  }

  /** Adds seeded records (a crowd) and indexes them with the rest. */
  addRecords(records: {
    customers: CustomerRecord[];
    subscriptions: SubscriptionRecord[];
    series: SeriesSpec[];
  }): void {
    this.customers.push(...records.customers);
    this.subscriptions.push(...records.subscriptions);
    const externalIds = new Map(records.customers.map((record) => [record.id, record.external_id]));
    this.series.push(
      ...records.series.map(
        (spec) => new UsageSeries(spec, externalIds.get(spec.customer_id) ?? null),
      ),
    );
    this.reindex();
  }

  private reindex(): void {
    this.customersById = new Map(this.customers.map((record) => [record.id, record]));
    this.customersByExternalId = new Map(
      this.customers.flatMap((record) =>
        record.external_id === null ? [] : [[record.external_id, record] as const],
      ),
    );
    this.subscriptionsByCustomer = groupBy(this.subscriptions, (record) => record.customer_id);
    this.seriesByCustomer = groupBy(this.series, (series) => series.spec.customer_id);
    this.storedEventsByCustomer = new Map();
    for (const event of this.storedEvents) this.indexStoredEvent(event);
  }

  private indexStoredEvent(event: EventRecord): void {
    const customer = this.eventCustomer(event);
    if (!customer) return;
    const list = this.storedEventsByCustomer.get(customer.id) ?? [];
    list.push(event);
    this.storedEventsByCustomer.set(customer.id, list);
  }

  /** Simulated time: `seedNow` plus the wall-clock time elapsed since start (or reset). */
  now(): number {
    return this.seedNow.getTime() + (Date.now() - this.clockOrigin);
  }

  /** A counter for names of created records, so ids are the same on every run. */
  nextSequence(): number {
    this.sequence += 1;
    return this.sequence;
  }

  customer(id: string): CustomerRecord | undefined {
    return this.customersById.get(id);
  }

  customerByExternalId(externalId: string): CustomerRecord | undefined {
    return this.customersByExternalId.get(externalId);
  }

  product(id: string): ProductRecord | undefined {
    return this.products.find((record) => record.id === id);
  }

  benefit(id: string): BenefitRecord | undefined {
    return this.benefits.find((record) => record.id === id);
  }

  meter(id: string): MeterRecord | undefined {
    return this.meters.find((record) => record.id === id);
  }

  subscription(id: string): SubscriptionRecord | undefined {
    return this.subscriptions.find((record) => record.id === id);
  }

  checkout(id: string): CheckoutRecord | undefined {
    return this.checkouts.find((record) => record.id === id);
  }

  event(id: string): EventRecord | undefined {
    const stored = this.storedEvents.find((record) => record.id === id);
    if (stored) return stored;
    for (const series of this.series) {
      const index = series.indexOf(id);
      if (index !== null) return series.eventAt(index);
    }
    return undefined;
  }

  eventByExternalId(externalId: string): EventRecord | undefined {
    return this.eventsByExternalId.get(externalId);
  }

  childCount(eventId: string): number {
    return this.childCounts.get(eventId) ?? 0;
  }

  addEvent(event: EventRecord): void {
    this.storedEvents.push(event);
    if (event.external_id !== null) this.eventsByExternalId.set(event.external_id, event);
    if (event.parent_id !== null) {
      this.childCounts.set(event.parent_id, this.childCount(event.parent_id) + 1);
    }
    this.indexStoredEvent(event);
    const customer = event.source === "user" ? this.eventCustomer(event) : undefined;
    if (customer) for (const listener of this.meterListeners) listener(customer.id);
  }

  /** Told the customer's id whenever a usage event of theirs is stored (webhooks). */
  onMetersChanged(listener: (customerId: string) => void): void {
    this.meterListeners.push(listener);
  }

  /** The customer an event belongs to: by `customer_id`, else by `external_customer_id`. */
  eventCustomer(event: EventRecord): CustomerRecord | undefined {
    if (event.customer_id !== null) return this.customer(event.customer_id);
    if (event.external_customer_id !== null)
      return this.customerByExternalId(event.external_customer_id);
    return undefined;
  }

  /** Whether `ancestorId` is an ancestor of the event, at most `maxDepth` levels up. */
  isDescendant(
    event: EventRecord,
    ancestorId: string,
    maxDepth = Number.POSITIVE_INFINITY,
  ): boolean {
    let current: EventRecord | undefined = event;
    for (let level = 1; current?.parent_id && level <= maxDepth; level++) {
      if (current.parent_id === ancestorId) return true;
      current = this.event(current.parent_id);
    }
    return false;
  }

  /** Every event source (usage series and stored events) restricted to a predicate and window. */
  eventSources(predicate: EventPredicate, window: { from: number; to: number }): EventSource[] {
    return [
      ...this.series.map((series) => series.source(predicate, window)),
      storedSource(this.storedEvents, predicate, window),
    ];
  }

  /** Polar's customer filters on events match `customer_id` or the customer's external id. */
  customerIdPredicate(customerIds: string[]): EventPredicate {
    const ids = new Set(customerIds);
    const externalIds = new Set(
      this.customers
        .filter((record) => ids.has(record.id) && record.external_id !== null)
        .map((record) => record.external_id),
    );
    return (event) =>
      (event.customer_id !== null && ids.has(event.customer_id)) ||
      (event.external_customer_id !== null && externalIds.has(event.external_customer_id));
  }

  externalCustomerIdPredicate(externalCustomerIds: string[]): EventPredicate {
    const externalIds = new Set(externalCustomerIds);
    const ids = new Set(
      this.customers
        .filter((record) => record.external_id !== null && externalIds.has(record.external_id))
        .map((record) => record.id),
    );
    return (event) =>
      (event.external_customer_id !== null && externalIds.has(event.external_customer_id)) ||
      (event.customer_id !== null && ids.has(event.customer_id));
  }

  /** The events a meter aggregates: its filter, over user events. */
  meterPredicate(meter: MeterRecord): EventPredicate {
    return (event) => event.source === "user" && filterMatches(meter.filter, event);
  }

  activeSubscriptions(customerId: string): SubscriptionRecord[] {
    return (this.subscriptionsByCustomer.get(customerId) ?? []).filter((record) =>
      ACTIVE_STATUSES.has(record.status),
    );
  }

  /** The meter-credit benefits a customer's active subscriptions grant for a meter. */
  meterCredits(customerId: string, meterId: string): { units: number; since: number } | null {
    let units = 0;
    let since: number | null = null;
    for (const subscription of this.activeSubscriptions(customerId)) {
      for (const benefitId of this.product(subscription.product_id)?.benefit_ids ?? []) {
        const benefit = this.benefit(benefitId);
        if (benefit?.type !== "meter_credit" || benefit.properties.meter_id !== meterId) continue;
        units += benefit.properties.units as number;
        since =
          since === null
            ? subscription.current_period_start
            : Math.min(since, subscription.current_period_start);
      }
    }
    return since === null ? null : { units, since };
  }

  /**
   * A customer's balance on a meter: credits granted this period, units consumed since the
   * period began (or ever, without credits). Null when the customer has neither.
   */
  customerMeter(
    customer: CustomerRecord,
    meter: MeterRecord,
  ): {
    credited_units: number;
    consumed_units: number;
    balance: number;
    since: number | null;
  } | null {
    const credits = this.meterCredits(customer.id, meter.id);
    const meterPredicate = this.meterPredicate(meter);
    const since = credits?.since ?? null;
    const window = { from: since ?? MIN_TIME, to: MAX_TIME };
    // Only this customer's own series and stored events can match.
    const sources = [
      ...(this.seriesByCustomer.get(customer.id) ?? []).map((series) =>
        series.source(meterPredicate, window),
      ),
      storedSource(this.storedEventsByCustomer.get(customer.id) ?? [], meterPredicate, window),
    ];
    const consumed = sources.reduce((sum, source) => sum + source.count(window.from, window.to), 0);
    if (credits === null && consumed === 0) return null;
    const credited = credits?.units ?? 0;
    return {
      credited_units: credited,
      consumed_units: consumed,
      balance: credited - consumed,
      since,
    };
  }

  /** The earliest user event of a customer (`first_user_event_at`). */
  firstUserEventAt(customer: CustomerRecord): number | null {
    let first: number | null = null;
    for (const series of this.seriesByCustomer.get(customer.id) ?? []) {
      if (series.spec.count > 0) first = series.timestampAt(0);
    }
    for (const event of this.storedEventsByCustomer.get(customer.id) ?? []) {
      if (event.source === "user" && (first === null || event.timestamp < first)) {
        first = event.timestamp;
      }
    }
    return first;
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const list = groups.get(key(item));
    if (list) list.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}
