/**
 * The one module that talks to Polar. Built on the official SDK; adds what the SDK leaves out:
 * pacing below the organization's rate limit, bounded retries, and zod checks of every
 * response field we rely on. It offers reads and non-destructive writes only — there is no
 * delete and no revoke here, by design.
 */
import { createPolar } from "@polar-sh/sdk/2026-10";
import type { z } from "zod";
import { fieldIssues, validate } from "../lib/validation.ts";
import { invalidRequest, PolarGatewayError } from "./errors.ts";
import {
  abortError,
  type Clock,
  classifyPolarError,
  defaultRetryPolicy,
  FixedWindowLimiter,
  isAbort,
  type RetryPolicy,
  systemClock,
  withRetries,
} from "./pacing.ts";
import {
  Benefit,
  type BenefitCreate,
  type CancellationReason,
  Checkout,
  Customer,
  CustomerMeter,
  CustomerRef,
  CustomerState,
  type IngestEvent,
  IngestResult,
  ingestEventSchema,
  MeterQuantities,
  PolarEvent,
  Product,
  ProductRef,
  pageOf,
  Subscription,
  type SubscriptionStatus,
} from "./schemas.ts";

export interface PolarGatewayOptions {
  accessToken: string;
  environment?: "sandbox" | "production";
  baseUrl?: string;
  /** Requests per minute polar-flows allows itself; null: no client-side limit. */
  requestsPerMinute?: number | null;
  retryPolicy?: Partial<RetryPolicy>;
  /** Per-request timeout in seconds. */
  timeoutSeconds?: number;
  clock?: Clock;
  onRetry?: (info: {
    operation: string;
    attempt: number;
    delayMs: number;
    error: PolarGatewayError;
  }) => void;
}

export type ProductLookup =
  | { status: "found"; product: Product }
  | { status: "not_found" }
  | { status: "ambiguous"; candidates: Product[] };

export type CancellationResult =
  | { status: "scheduled" | "already_scheduled"; subscription: Subscription }
  | { status: "not_found" };

export interface UsageWindow {
  start: Date;
  end: Date;
}

export interface UsageSum {
  source: "events" | "meter";
  total: number;
  by_group: Record<string, number>;
  window_start: string;
  window_end: string;
  /** Events read (events path) — each counted once. */
  events: number;
  /** List pages read (events path); 0 on the meter path. */
  pages: number;
}

/** One page of a list, for callers that page themselves (tools with a cursor). */
export interface ListPage<T> {
  items: T[];
  has_more: boolean;
  /** When Polar says (page-number pagination). */
  total_count: number | null;
}

export interface SubscriptionFilter {
  customer?: CustomerRef;
  productId?: string;
  /** true: active or trialing; false: neither; absent: any. */
  active?: boolean;
  status?: SubscriptionStatus[];
  cancelAtPeriodEnd?: boolean;
}

export interface EventFilter {
  customer?: CustomerRef;
  names?: string[];
  /** ISO 8601 with offset; Polar's bounds are exclusive. */
  start?: string;
  end?: string;
  source?: "user" | "system";
  /** 0–5: how deep below the top level (or below `parentId`) to go. */
  depth?: number;
  parentId?: string;
  metadata?: Record<string, string | number | boolean>;
  sorting: "timestamp" | "-timestamp";
}

/** An event-usage sum that would read more pages than the caller allowed; nothing was summed. */
export class UsagePagesExceededError extends Error {
  readonly maxPages: number;
  constructor(maxPages: number) {
    super(`summing these events would read more than ${maxPages} pages of ${PAGE_LIMIT}`);
    this.name = "UsagePagesExceededError";
    this.maxPages = maxPages;
  }
}

/** Group for events that lack the `group_by` key. */
export const UNGROUPED = "(none)";
/** Checkout metadata key that ties a checkout to the run that made it. */
export const CHECKOUT_KEY_FIELD = "polar_flows_key";
/** Benefit metadata key that ties a benefit to the run that made it. */
export const BENEFIT_KEY_FIELD = "polar_flows_key";

const PAGE_LIMIT = 100;

export class PolarGateway {
  private readonly polar: ReturnType<typeof createPolar>;
  private readonly limiter: FixedWindowLimiter | null;
  /** Longest wait for the client-side budget; undefined: the limiter's own bound. */
  private readonly maxPacingWaitMs: number | undefined = undefined;
  private readonly retryPolicy: RetryPolicy;
  private readonly clock: Clock;
  private readonly onRetry: PolarGatewayOptions["onRetry"];
  /** Shared by the views `impatient` and `withSignal` make, so every request is counted once. */
  private readonly sent = { requests: 0 };
  /** Set on a view for one run: a cancelled run sends nothing more. */
  private readonly signal: AbortSignal | undefined = undefined;

  /** Requests sent to Polar by this gateway and its views (retries included). */
  get requestCount(): number {
    return this.sent.requests;
  }

  constructor(options: PolarGatewayOptions) {
    this.polar = createPolar({
      accessToken: options.accessToken,
      environment: options.environment ?? "sandbox",
      ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
      timeout: options.timeoutSeconds ?? 15,
    });
    this.clock = options.clock ?? systemClock;
    this.limiter =
      options.requestsPerMinute != null
        ? new FixedWindowLimiter({
            requestsPerWindow: options.requestsPerMinute,
            clock: this.clock,
          })
        : null;
    this.retryPolicy = { ...defaultRetryPolicy, ...options.retryPolicy };
    this.onRetry = options.onRetry;
  }

  /**
   * The same connection and the same request budget, for a caller who is waiting (an agent's
   * read tool): whatever would wait longer than `maxWaitMs` — for the client-side budget or for
   * Polar's `retry-after` — fails at once with a retryable `polar_rate_limited` error that says
   * how long to wait, instead of blocking.
   */
  impatient(maxWaitMs: number): PolarGateway {
    const view = Object.create(PolarGateway.prototype) as PolarGateway;
    return Object.assign(view, this, {
      maxPacingWaitMs: maxWaitMs,
      retryPolicy: { ...this.retryPolicy, maxRetryAfterMs: maxWaitMs },
    });
  }

  /**
   * The same gateway for one run: once `signal` is aborted (the run was cancelled), no further
   * request is sent — a long event sum stops at the next page instead of reading on.
   */
  withSignal(signal: AbortSignal | undefined): PolarGateway {
    if (!signal) return this;
    const view = Object.create(PolarGateway.prototype) as PolarGateway;
    return Object.assign(view, this, { signal });
  }

  // ---- customers ----

  /** The customer, or null when Polar has no such customer. */
  async getCustomer(ref: CustomerRef): Promise<Customer | null> {
    checkInput(CustomerRef, ref, "customer");
    return this.orNullWhenMissing(() =>
      "id" in ref
        ? this.read("customers.get", Customer, () => this.polar.customers.get(ref.id))
        : this.read("customers.getExternal", Customer, () =>
            this.polar.customers.getExternal(ref.external_id),
          ),
    );
  }

  /** Customer + active subscriptions + meter balances in one request, or null. */
  async getCustomerState(ref: CustomerRef): Promise<CustomerState | null> {
    checkInput(CustomerRef, ref, "customer");
    return this.orNullWhenMissing(() =>
      "id" in ref
        ? this.read("customers.getState", CustomerState, () =>
            this.polar.customers.getState(ref.id),
          )
        : this.read("customers.getStateExternal", CustomerState, () =>
            this.polar.customers.getStateExternal(ref.external_id),
          ),
    );
  }

  // ---- subscriptions ----

  /** Active (active or trialing) subscriptions of a customer, newest first. */
  async listActiveSubscriptions(customerId: string): Promise<Subscription[]> {
    const subscriptions: Subscription[] = [];
    for await (const subscription of this.pages("subscriptions.list", Subscription, (page) =>
      this.polar.subscriptions.list({
        customer_id: customerId,
        active: true,
        page,
        limit: PAGE_LIMIT,
      }),
    )) {
      subscriptions.push(subscription);
    }
    return subscriptions;
  }

  /** One page of subscriptions matching the filter (newest first), for callers who page. */
  async listSubscriptionsPage(
    filter: SubscriptionFilter,
    page: { page: number; limit: number },
  ): Promise<ListPage<Subscription>> {
    if (filter.customer) checkInput(CustomerRef, filter.customer, "customer");
    const customer = filter.customer;
    const result = await this.read("subscriptions.list", pageOf(Subscription), () =>
      this.polar.subscriptions.list({
        ...(customer
          ? "id" in customer
            ? { customer_id: customer.id }
            : { external_customer_id: customer.external_id }
          : {}),
        ...(filter.productId ? { product_id: filter.productId } : {}),
        ...(filter.active !== undefined ? { active: filter.active } : {}),
        ...(filter.status?.length ? { status: filter.status } : {}),
        ...(filter.cancelAtPeriodEnd !== undefined
          ? { cancel_at_period_end: filter.cancelAtPeriodEnd }
          : {}),
        sorting: ["-started_at"],
        page: page.page,
        limit: Math.min(page.limit, PAGE_LIMIT),
      }),
    );
    return listPage(result, page.page);
  }

  async getSubscription(id: string): Promise<Subscription | null> {
    return this.orNullWhenMissing(() =>
      this.read("subscriptions.get", Subscription, () => this.polar.subscriptions.get(id)),
    );
  }

  /**
   * Schedules the end of a subscription at the end of its period (reversible; access is kept
   * until `current_period_end`). Sends nothing when it is already scheduled.
   */
  async scheduleCancellation(
    subscriptionId: string,
    details: { reason?: CancellationReason; comment?: string } = {},
  ): Promise<CancellationResult> {
    const current = await this.getSubscription(subscriptionId);
    if (!current) return { status: "not_found" };
    if (current.cancel_at_period_end) return { status: "already_scheduled", subscription: current };
    try {
      const subscription = await this.read("subscriptions.update", Subscription, () =>
        this.polar.subscriptions.update(subscriptionId, {
          cancel_at_period_end: true,
          ...(details.reason ? { customer_cancellation_reason: details.reason } : {}),
          ...(details.comment ? { customer_cancellation_comment: details.comment } : {}),
        }),
      );
      return { status: "scheduled", subscription };
    } catch (error) {
      // Polar refuses (403) to cancel what already ends: another run scheduled it between our
      // read and our PATCH, or a retry's first attempt did and its answer was lost.
      if (!(error instanceof PolarGatewayError) || error.status !== 403) throw error;
      const now = await this.getSubscription(subscriptionId);
      if (!now?.cancel_at_period_end) throw error;
      return { status: "already_scheduled", subscription: now };
    }
  }

  // ---- products ----

  /** A product by id, or by exact (case-insensitive) name among non-archived products. */
  async findProduct(ref: ProductRef): Promise<ProductLookup> {
    checkInput(ProductRef, ref, "product");
    if ("id" in ref) {
      const product = await this.orNullWhenMissing(() =>
        this.read("products.get", Product, () => this.polar.products.get(ref.id)),
      );
      return product ? { status: "found", product } : { status: "not_found" };
    }
    const wanted = ref.name.trim().toLowerCase();
    const candidates: Product[] = [];
    for await (const product of this.pages("products.list", Product, (page) =>
      this.polar.products.list({
        query: ref.name.trim(),
        is_archived: false,
        page,
        limit: PAGE_LIMIT,
      }),
    )) {
      if (!product.is_archived && product.name.trim().toLowerCase() === wanted)
        candidates.push(product);
    }
    if (candidates.length === 0) return { status: "not_found" };
    if (candidates.length > 1) return { status: "ambiguous", candidates };
    return { status: "found", product: candidates[0]! };
  }

  // ---- usage ----

  /** Meter credits/consumption of a customer (for a plan limit taken from credited units). */
  async listCustomerMeters(customerId: string, meterId?: string): Promise<CustomerMeter[]> {
    const meters: CustomerMeter[] = [];
    for await (const meter of this.pages("customerMeters.list", CustomerMeter, (page) =>
      this.polar.customerMeters.list({
        customer_id: customerId,
        ...(meterId ? { meter_id: meterId } : {}),
        page,
        limit: PAGE_LIMIT,
      }),
    )) {
      meters.push(meter);
    }
    return meters;
  }

  /** Polar's own aggregation of a meter over the window: one request. */
  async sumMeterUsage(params: {
    meterId: string;
    customerId: string;
    window: UsageWindow;
  }): Promise<UsageSum> {
    const { start, end } = params.window;
    const spanDays = (end.getTime() - start.getTime()) / 86_400_000;
    const result = await this.read("meters.quantities", MeterQuantities, () =>
      this.polar.meters.quantities(params.meterId, {
        start_timestamp: start.toISOString(),
        end_timestamp: end.toISOString(),
        interval: spanDays <= 366 ? "day" : "month",
        customer_id: params.customerId,
      }),
    );
    return {
      source: "meter",
      total: result.total,
      by_group: {},
      window_start: start.toISOString(),
      window_end: end.toISOString(),
      events: 0,
      pages: 0,
    };
  }

  /** One page of events matching the filter, for callers who page (system events included). */
  async listEventsPage(
    filter: EventFilter,
    page: { page: number; limit: number },
  ): Promise<ListPage<PolarEvent>> {
    if (filter.customer) checkInput(CustomerRef, filter.customer, "customer");
    const customer = filter.customer;
    const result = await this.read("events.list", pageOf(PolarEvent), () =>
      this.polar.events.list({
        ...(customer
          ? "id" in customer
            ? { customer_id: customer.id }
            : { external_customer_id: customer.external_id }
          : {}),
        ...(filter.names?.length ? { name: filter.names } : {}),
        ...(filter.start ? { start_timestamp: filter.start } : {}),
        ...(filter.end ? { end_timestamp: filter.end } : {}),
        ...(filter.source ? { source: filter.source } : {}),
        ...(filter.depth !== undefined ? { depth: filter.depth } : {}),
        ...(filter.parentId ? { parent_id: filter.parentId } : {}),
        ...(filter.metadata && Object.keys(filter.metadata).length > 0
          ? { metadata: filter.metadata }
          : {}),
        sorting: [filter.sorting],
        page: page.page,
        limit: Math.min(page.limit, PAGE_LIMIT),
      }),
    );
    return listPage(result, page.page);
  }

  /**
   * Sums raw events page by page (constant memory): counts them, or sums a numeric metadata
   * property, grouped by a metadata key. Filtering by `name` keeps Polar's system events out.
   * Pages are read oldest first up to a fixed end, so events arriving meanwhile shift nothing.
   */
  async sumEventUsage(params: {
    customerId: string;
    eventName: string;
    window: UsageWindow;
    groupBy?: string;
    sumProperty?: string;
    /** Refuse (UsagePagesExceededError) rather than read more pages than this. */
    maxPages?: number;
  }): Promise<UsageSum> {
    const { start, end } = params.window;
    const byGroup = new Map<string, number>();
    let total = 0;
    let events = 0;
    let pages = 0;
    for await (const event of this.pages(
      "events.list",
      PolarEvent,
      (page) =>
        this.polar.events.list({
          customer_id: params.customerId,
          name: params.eventName,
          start_timestamp: start.toISOString(),
          end_timestamp: end.toISOString(),
          sorting: ["timestamp"],
          page,
          limit: PAGE_LIMIT,
        }),
      () => {
        pages += 1;
      },
      params.maxPages,
    )) {
      if (event.name !== params.eventName) continue;
      events += 1;
      const amount = params.sumProperty ? numericValue(event.metadata[params.sumProperty]) : 1;
      total += amount;
      if (params.groupBy) {
        const raw = event.metadata[params.groupBy];
        const group = raw === undefined || raw === null || raw === "" ? UNGROUPED : String(raw);
        byGroup.set(group, (byGroup.get(group) ?? 0) + amount);
      }
    }
    return {
      source: "events",
      total,
      by_group: Object.fromEntries([...byGroup].sort((a, b) => b[1] - a[1])),
      window_start: start.toISOString(),
      window_end: end.toISOString(),
      events,
      pages,
    };
  }

  // ---- writes ----

  /**
   * Finds the checkout tagged with `key` in its metadata, or creates it. A repeated call — a
   * retried or resumed node — finds the first checkout instead of making a second. The
   * checkout names the customer by Polar id only.
   */
  async findOrCreateCheckout(params: {
    key: string;
    customerId: string;
    productId: string;
    successUrl?: string;
    metadata?: Record<string, string | number | boolean>;
    /**
     * No checkout for this key can be older than this (e.g. when the run began): the search,
     * newest first, stops there instead of reading the customer's whole checkout history.
     */
    createdAfter?: Date;
  }): Promise<{ checkout: Checkout; created: boolean }> {
    const attempt = async () => {
      const existing = await this.findCheckoutByKey(params);
      if (existing) return { checkout: existing, created: false };
      // Not retried by itself: after a 5xx or a timeout the checkout may exist, so the whole
      // find-or-create is retried instead, and finds it.
      const checkout = await this.send("checkouts.create", Checkout, () =>
        this.polar.checkouts.create({
          products: [params.productId],
          customer_id: params.customerId,
          ...(params.successUrl ? { success_url: params.successUrl } : {}),
          metadata: { ...params.metadata, [CHECKOUT_KEY_FIELD]: params.key },
        }),
      );
      return { checkout, created: true };
    };
    return withRetries(
      "checkouts.findOrCreate",
      attempt,
      this.retryPolicy,
      this.clock,
      this.onRetry,
    );
  }

  private async findCheckoutByKey(params: {
    key: string;
    customerId: string;
    productId: string;
    createdAfter?: Date;
  }) {
    const oldest = params.createdAfter?.getTime() ?? Number.NEGATIVE_INFINITY;
    for await (const checkout of this.pages("checkouts.list", Checkout, (page) =>
      this.polar.checkouts.list({
        customer_id: params.customerId,
        product_id: params.productId,
        sorting: ["-created_at"],
        page,
        limit: PAGE_LIMIT,
      }),
    )) {
      if (checkout.metadata[CHECKOUT_KEY_FIELD] === params.key) return checkout;
      if (Date.parse(checkout.created_at) < oldest) return null;
    }
    return null;
  }

  /**
   * Ingests usage events after checking Polar's rules; a violation names the field and sends
   * nothing. Give each event an `external_id` so a retry is de-duplicated by Polar.
   */
  async ingestEvents(events: unknown[]): Promise<{ inserted: number; duplicates: number }> {
    const schema = ingestEventSchema(() => this.clock.now());
    const valid: IngestEvent[] = [];
    const issues = events.flatMap((event, index) => {
      const checked = validate(schema, event, ["events", index]);
      if (checked.success) valid.push(checked.data);
      return checked.success ? [] : checked.issues;
    });
    if (events.length === 0) issues.push({ path: "events", message: "at least one event" });
    if (issues.length > 0) throw invalidRequest(issues);
    return this.read("events.ingest", IngestResult, () =>
      this.polar.events.ingest({ events: valid }),
    );
  }

  /**
   * Finds the benefit tagged with `key` in its metadata, or creates it: a retried or resumed
   * node finds the benefit it already made instead of making a second. Nothing is ever deleted.
   */
  async findOrCreateBenefit(params: {
    key: string;
    benefit: BenefitCreate;
    metadata?: Record<string, string | number | boolean>;
  }): Promise<{ benefit: Benefit; created: boolean }> {
    const { benefit } = params;
    const attempt = async () => {
      const existing = await this.findBenefitByKey(benefit.type, params.key);
      if (existing) return { benefit: existing, created: false };
      // Like checkouts: after a 5xx or a timeout the benefit may exist, so the whole
      // find-or-create is retried, and finds it.
      const created = await this.send("benefits.create", Benefit, () =>
        this.polar.benefits.create({
          ...benefit,
          metadata: { ...benefit.metadata, ...params.metadata, [BENEFIT_KEY_FIELD]: params.key },
        } as Parameters<typeof this.polar.benefits.create>[0]),
      );
      return { benefit: created, created: true };
    };
    return withRetries(
      "benefits.findOrCreate",
      attempt,
      this.retryPolicy,
      this.clock,
      this.onRetry,
    );
  }

  private async findBenefitByKey(type: BenefitCreate["type"], key: string) {
    for await (const benefit of this.pages("benefits.list", Benefit, (page) =>
      this.polar.benefits.list({
        type,
        metadata: { [BENEFIT_KEY_FIELD]: key },
        page,
        limit: PAGE_LIMIT,
      }),
    )) {
      // The filter narrows the search; the key itself is checked here.
      if (benefit.metadata[BENEFIT_KEY_FIELD] === key) return benefit;
    }
    return null;
  }

  // ---- plumbing ----

  /** A paced, retried, validated call (reads, and writes that are safe to repeat). */
  private read<S extends z.ZodType>(
    operation: string,
    schema: S,
    call: () => Promise<unknown>,
  ): Promise<z.infer<S>> {
    return withRetries(
      operation,
      async () => this.validate(operation, schema, await this.paced(call)),
      this.retryPolicy,
      this.clock,
      this.onRetry,
    );
  }

  /** A paced, validated call that is not retried on its own. */
  private async send<S extends z.ZodType>(
    operation: string,
    schema: S,
    call: () => Promise<unknown>,
  ): Promise<z.infer<S>> {
    try {
      return this.validate(operation, schema, await this.paced(call));
    } catch (error) {
      if (isAbort(error)) throw error;
      throw classifyPolarError(error, operation);
    }
  }

  private async paced<T>(call: () => Promise<T>): Promise<T> {
    if (this.signal?.aborted) throw abortError();
    await this.limiter?.acquire(this.maxPacingWaitMs);
    if (this.signal?.aborted) throw abortError();
    this.sent.requests += 1;
    return call();
  }

  private validate<S extends z.ZodType>(operation: string, schema: S, value: unknown): z.infer<S> {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    const issues = fieldIssues(parsed.error);
    throw new PolarGatewayError(
      "polar_invalid_response",
      `Polar's answer to ${operation} is not what polar-flows expects: ${issues
        .slice(0, 5)
        .map((issue) => `${issue.path || "(root)"}: ${issue.message}`)
        .join("; ")}`,
      { issues },
    );
  }

  /** Walks every page of a list endpoint, one validated page at a time. */
  private async *pages<S extends z.ZodType>(
    operation: string,
    item: S,
    fetchPage: (page: number) => Promise<unknown>,
    onPage?: () => void,
    maxPages?: number,
  ): AsyncGenerator<z.infer<S>> {
    const pageSchema = pageOf(item);
    for (let page = 1; ; page++) {
      if (maxPages !== undefined && page > maxPages) throw new UsagePagesExceededError(maxPages);
      const result = await this.read(operation, pageSchema, () => fetchPage(page));
      onPage?.();
      yield* result.items as z.infer<S>[];
      const more =
        "has_next_page" in result.pagination
          ? result.pagination.has_next_page
          : page < result.pagination.max_page;
      if (!more || result.items.length === 0) return;
    }
  }

  private async orNullWhenMissing<T>(call: () => Promise<T>): Promise<T | null> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof PolarGatewayError && error.status === 404) return null;
      throw error;
    }
  }
}

function listPage<T>(
  result: {
    items: T[];
    pagination: { has_next_page: boolean } | { max_page: number; total_count: number };
  },
  page: number,
): ListPage<T> {
  const { pagination } = result;
  return "has_next_page" in pagination
    ? { items: result.items, has_more: pagination.has_next_page, total_count: null }
    : {
        items: result.items,
        has_more: page < pagination.max_page && result.items.length > 0,
        total_count: pagination.total_count,
      };
}

/** Callers may be untyped (tools, scripts): a bad reference is refused before any request. */
function checkInput(schema: z.ZodType, value: unknown, path: string): void {
  const checked = validate(schema, value, [path]);
  if (!checked.success) throw invalidRequest(checked.issues);
}

function numericValue(value: unknown): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)))
    return Number(value);
  return 0;
}
