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
  SubscriptionRecord,
} from "./model.ts";
import { createSeedData } from "./seed.ts";

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
  private childCounts!: Map<string, number>;
  private sequence!: number;

  private readonly organizationOptions: OrganizationOptions | null;

  /** The demo organization, or (with `organization`) another one. */
  constructor(now: Date, organization: OrganizationOptions | null = null) {
    this.seedNow = now;
    this.organizationOptions = organization;
    this.reset();
  }

  /** Back to the seed data; the clock restarts at `seedNow`. */
  reset(): void {
    const seed = createSeedData(this.seedNow);
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
    this.series = seed.series.map(
      (spec) => new UsageSeries(spec, this.customer(spec.customer_id)?.external_id ?? null),
    );
    this.eventsByExternalId = new Map();
    this.childCounts = new Map();
    this.sequence = 0;
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
    return this.customers.find((record) => record.id === id);
  }

  customerByExternalId(externalId: string): CustomerRecord | undefined {
    return this.customers.find((record) => record.external_id === externalId);
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
    return this.subscriptions.filter(
      (record) => record.customer_id === customerId && ACTIVE_STATUSES.has(record.status),
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
    const customerPredicate = this.customerIdPredicate([customer.id]);
    const meterPredicate = this.meterPredicate(meter);
    const since = credits?.since ?? null;
    const window = { from: since ?? MIN_TIME, to: MAX_TIME };
    const consumed = this.eventSources(
      (event) => customerPredicate(event) && meterPredicate(event),
      window,
    ).reduce((sum, source) => sum + source.count(window.from, window.to), 0);
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
    const belongs = this.customerIdPredicate([customer.id]);
    let first: number | null = null;
    for (const series of this.series) {
      if (series.spec.customer_id === customer.id && series.spec.count > 0)
        first = series.timestampAt(0);
    }
    for (const event of this.storedEvents) {
      if (
        event.source === "user" &&
        belongs(event) &&
        (first === null || event.timestamp < first)
      ) {
        first = event.timestamp;
      }
    }
    return first;
  }
}
