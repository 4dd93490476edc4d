/**
 * The one way polar-flows talks to Polar: the resources (customers, subscriptions, products,
 * usage, events, checkouts, benefits) over one transport (pacing, retries, zod checks of every
 * answer). It offers reads and non-destructive writes only — there is no delete and no revoke
 * here, by design.
 */
import { BenefitsResource } from "./resources/benefits.ts";
import { type CheckoutRequest, CheckoutsResource } from "./resources/checkouts.ts";
import { CustomersResource } from "./resources/customers.ts";
import { type EventFilter, EventsResource } from "./resources/events.ts";
import {
  type ProductLookup,
  type ProductResolution,
  ProductsResource,
} from "./resources/products.ts";
import {
  type CancellationResult,
  type SubscriptionFilter,
  SubscriptionsResource,
} from "./resources/subscriptions.ts";
import { type EventUsageRequest, UsageResource } from "./resources/usage.ts";
import type {
  Benefit,
  BenefitCreate,
  CancellationReason,
  Checkout,
  Customer,
  CustomerMeter,
  CustomerRef,
  CustomerState,
  Meter,
  MeterCustomer,
  PolarEvent,
  Product,
  ProductRef,
  Subscription,
} from "./schemas.ts";
import { type ListPage, PolarTransport, type PolarTransportOptions } from "./transport.ts";
import type { UsageSum, UsageWindow } from "./usage.ts";

export { BENEFIT_KEY_FIELD } from "./resources/benefits.ts";
export type { CheckoutRequest } from "./resources/checkouts.ts";
export { CHECKOUT_KEY_FIELD } from "./resources/checkouts.ts";
export type { EventFilter } from "./resources/events.ts";
export type { ProductLookup, ProductResolution } from "./resources/products.ts";
export type { CancellationResult, SubscriptionFilter } from "./resources/subscriptions.ts";
export { UsagePagesExceededError } from "./resources/usage.ts";
export type { ListPage } from "./transport.ts";
export { UNGROUPED, type UsageSum, type UsageWindow } from "./usage.ts";

export type PolarGatewayOptions = PolarTransportOptions;

/** Polar as each tenant reaches it: one gateway for all, or one per organization token. */
export interface PolarForTenants {
  forTenant(tenant: string): PolarGateway;
}

export class PolarGateway implements PolarForTenants {
  private readonly transport: PolarTransport;
  private readonly customers: CustomersResource;
  private readonly subscriptions: SubscriptionsResource;
  private readonly products: ProductsResource;
  private readonly usage: UsageResource;
  private readonly events: EventsResource;
  private readonly checkouts: CheckoutsResource;
  private readonly benefits: BenefitsResource;

  /** A gateway on a new connection, or a view: another gateway over an existing transport. */
  constructor(source: PolarGatewayOptions | PolarTransport) {
    const transport = source instanceof PolarTransport ? source : PolarTransport.open(source);
    this.transport = transport;
    this.customers = new CustomersResource(transport);
    this.subscriptions = new SubscriptionsResource(transport);
    this.products = new ProductsResource(transport);
    this.usage = new UsageResource(transport);
    this.events = new EventsResource(transport);
    this.checkouts = new CheckoutsResource(transport);
    this.benefits = new BenefitsResource(transport);
  }

  /** Requests sent to Polar by this gateway and its views (retries included). */
  get requestCount(): number {
    return this.transport.requestCount;
  }

  /**
   * The same connection and the same request budget, for a caller who is waiting (an agent's
   * read tool): whatever would wait longer than `maxWaitMs` — for the client-side budget or for
   * Polar's `retry-after` — fails at once with a retryable `polar_rate_limited` error that says
   * how long to wait, instead of blocking.
   */
  impatient(maxWaitMs: number): PolarGateway {
    return new PolarGateway(this.transport.impatient(maxWaitMs));
  }

  /**
   * Repeats `attempt` whole on every retryable Polar failure, with the transport's back-off:
   * for a write that looks at Polar before it sends again.
   */
  retried<T>(operation: string, attempt: () => Promise<T>): Promise<T> {
    return this.transport.retried(operation, attempt);
  }

  /**
   * The same connection and budget for one tenant's calls: when the budget is spent, tenants
   * sharing it are served in turn, so none takes more than its share while others wait.
   */
  forTenant(tenant: string): PolarGateway {
    return new PolarGateway(this.transport.forTenant(tenant));
  }

  /**
   * The same gateway for one run: once `signal` is aborted (the run was cancelled), no further
   * request is sent — a long event sum stops at the next page instead of reading on.
   */
  withSignal(signal: AbortSignal | undefined): PolarGateway {
    return signal ? new PolarGateway(this.transport.withSignal(signal)) : this;
  }

  /**
   * The same gateway with `check` run right before each write is sent — after any wait for the
   * request budget or a `retry-after` — so that a write can be stopped at the last moment (the
   * run's lease is about to lapse).
   */
  guardingWrites(check: () => void): PolarGateway {
    return new PolarGateway(this.transport.guardingWrites(check));
  }

  // ---- customers ----

  /** The customer, or null when Polar has no such customer. */
  getCustomer(ref: CustomerRef): Promise<Customer | null> {
    return this.customers.get(ref);
  }

  /** Customer + active subscriptions + meter balances in one request, or null. */
  getCustomerState(ref: CustomerRef): Promise<CustomerState | null> {
    return this.customers.getState(ref);
  }

  // ---- subscriptions ----

  /** Active (active or trialing) subscriptions of a customer, newest first. */
  listActiveSubscriptions(customerId: string): Promise<Subscription[]> {
    return this.subscriptions.listActive(customerId);
  }

  /** One page of subscriptions matching the filter (newest first), for callers who page. */
  listSubscriptionsPage(
    filter: SubscriptionFilter,
    page: { page: number; limit: number },
  ): Promise<ListPage<Subscription>> {
    return this.subscriptions.listPage(filter, page);
  }

  /** One page of the active subscriptions of up to 100 customers, maybe on one product. */
  listActiveSubscriptionsOfPage(
    customerIds: readonly string[],
    productId: string | null,
    page: number,
  ): Promise<ListPage<Subscription>> {
    return this.subscriptions.activeOfCustomersPage(customerIds, productId, page);
  }

  getSubscription(id: string): Promise<Subscription | null> {
    return this.subscriptions.get(id);
  }

  /** Schedules the end of a subscription at the end of its period; nothing if already so. */
  scheduleCancellation(
    subscriptionId: string,
    details: { reason?: CancellationReason; comment?: string } = {},
  ): Promise<CancellationResult> {
    return this.subscriptions.scheduleCancellation(subscriptionId, details);
  }

  // ---- products ----

  /** A product by id (archived: refused), or by exact name among non-archived products. */
  findProduct(ref: ProductRef): Promise<ProductLookup> {
    return this.products.find(ref);
  }

  /** The product someone named, or the outcome and reason it cannot be used. */
  resolveProduct(ref: ProductRef): Promise<ProductResolution> {
    return this.products.resolve(ref);
  }

  /**
   * Several products from one product list: each ref resolved as `resolveProduct` would, and
   * every product listed (with `alsoIds`), by id.
   */
  resolveProducts(
    refs: readonly ProductRef[],
    alsoIds: readonly string[] = [],
  ): Promise<{ resolutions: ProductResolution[]; byId: Map<string, Product> }> {
    return this.products.resolveAll(refs, alsoIds);
  }

  // ---- usage ----

  /** Meter credits/consumption of a customer (for a plan limit taken from credited units). */
  listCustomerMeters(customerId: string, meterId?: string): Promise<CustomerMeter[]> {
    return this.usage.listCustomerMeters(customerId, meterId);
  }

  /** The meter, or null when Polar has no such meter. */
  getMeter(id: string): Promise<Meter | null> {
    return this.usage.getMeter(id);
  }

  /** One page (100) of every customer's balance on a meter, with the customers. */
  listMeterCustomersPage(meterId: string, page: number): Promise<ListPage<MeterCustomer>> {
    return this.usage.meterCustomersPage(meterId, page);
  }

  /** Polar's own aggregation of a meter over the window: one request. */
  sumMeterUsage(params: {
    meterId: string;
    customerId: string;
    window: UsageWindow;
  }): Promise<UsageSum> {
    return this.usage.sumMeter(params);
  }

  /** Sums raw events of one name page by page, counted or by a property, maybe grouped. */
  sumEventUsage(params: EventUsageRequest): Promise<UsageSum> {
    return this.usage.sumEvents(params);
  }

  // ---- events ----

  /** One page of events matching the filter, for callers who page (system events included). */
  listEventsPage(
    filter: EventFilter,
    page: { page: number; limit: number },
  ): Promise<ListPage<PolarEvent>> {
    return this.events.listPage(filter, page);
  }

  /** Ingests usage events after checking Polar's rules; give each an `external_id`. */
  ingestEvents(events: unknown[]): Promise<{ inserted: number; duplicates: number }> {
    return this.events.ingest(events);
  }

  // ---- writes that find what an earlier attempt made ----

  /** The checkout tagged with `key`, or a new one: a repeated call never makes a second. */
  findOrCreateCheckout(params: CheckoutRequest): Promise<{ checkout: Checkout; created: boolean }> {
    return this.checkouts.findOrCreate(params);
  }

  /** Creates the checkout tagged with `key`, not looking first; a failure is not retried. */
  createCheckout(params: CheckoutRequest): Promise<Checkout> {
    return this.checkouts.create(params);
  }

  /** The customer's checkout tagged with `key` (newest first, down to `createdAfter`), or null. */
  findCheckout(params: CheckoutRequest): Promise<Checkout | null> {
    return this.checkouts.findByKey(params);
  }

  /** Creates the benefit tagged with `key`, not looking first; a failure is not retried. */
  createBenefit(params: {
    key: string;
    benefit: BenefitCreate;
    metadata?: Record<string, string | number | boolean>;
  }): Promise<Benefit> {
    return this.benefits.create(params);
  }

  /** The benefit of that type tagged with `key`, or null. */
  findBenefit(type: BenefitCreate["type"], key: string): Promise<Benefit | null> {
    return this.benefits.findByKey(type, key);
  }

  /** The benefit tagged with `key`, or a new one: a repeated call never makes a second. */
  findOrCreateBenefit(params: {
    key: string;
    benefit: BenefitCreate;
    metadata?: Record<string, string | number | boolean>;
  }): Promise<{ benefit: Benefit; created: boolean }> {
    return this.benefits.findOrCreate(params);
  }
}
