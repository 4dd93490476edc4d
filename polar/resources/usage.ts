/**
 * Usage: a customer's meter credits, Polar's own meter aggregation, and sums of raw events
 * read page by page in constant memory (the arithmetic is in ../usage.ts).
 */
import { CustomerMeter, Meter, MeterCustomer, MeterQuantities, PolarEvent } from "../schemas.ts";
import { type ListPage, orNullWhenMissing, PAGE_LIMIT, type PolarTransport } from "../transport.ts";
import {
  EMPTY_TALLY,
  type EventMeasure,
  eventUsageSum,
  meterInterval,
  meterUsageSum,
  tallyEvents,
  type UsageSum,
  type UsageWindow,
} from "../usage.ts";

/** An event-usage sum that would read more pages than the caller allowed; nothing was summed. */
export class UsagePagesExceededError extends Error {
  readonly maxPages: number;
  constructor(maxPages: number) {
    super(`summing these events would read more than ${maxPages} pages of ${PAGE_LIMIT}`);
    this.name = "UsagePagesExceededError";
    this.maxPages = maxPages;
  }
}

export interface EventUsageRequest extends EventMeasure {
  customerId: string;
  window: UsageWindow;
  /** Refuse (UsagePagesExceededError) rather than read more pages than this. */
  maxPages?: number;
}

export class UsageResource {
  private readonly transport: PolarTransport;

  constructor(transport: PolarTransport) {
    this.transport = transport;
  }

  /** Meter credits/consumption of a customer (for a plan limit taken from credited units). */
  async listCustomerMeters(customerId: string, meterId?: string): Promise<CustomerMeter[]> {
    const meters: CustomerMeter[] = [];
    for await (const meter of this.transport.items(
      "customerMeters.list",
      CustomerMeter,
      (sdk, page) =>
        sdk.customerMeters.list({
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

  /** The meter, or null when Polar has no such meter. */
  getMeter(id: string): Promise<Meter | null> {
    return orNullWhenMissing(() =>
      this.transport.read("meters.get", Meter, (sdk) => sdk.meters.get(id)),
    );
  }

  /** One page (100) of every customer's balance on a meter, oldest customer meter first. */
  meterCustomersPage(meterId: string, page: number): Promise<ListPage<MeterCustomer>> {
    return this.transport.page("customerMeters.list", MeterCustomer, page, (sdk) =>
      sdk.customerMeters.list({
        meter_id: meterId,
        sorting: ["created_at"],
        page,
        limit: PAGE_LIMIT,
      }),
    );
  }

  /** Polar's own aggregation of a meter over the window: one request. */
  async sumMeter(params: {
    meterId: string;
    customerId: string;
    window: UsageWindow;
  }): Promise<UsageSum> {
    const { window } = params;
    const result = await this.transport.read("meters.quantities", MeterQuantities, (sdk) =>
      sdk.meters.quantities(params.meterId, {
        start_timestamp: window.start.toISOString(),
        end_timestamp: window.end.toISOString(),
        interval: meterInterval(window),
        customer_id: params.customerId,
      }),
    );
    return meterUsageSum(result.total, window);
  }

  /**
   * Sums raw events page by page (constant memory): counts them, or sums a numeric metadata
   * property, grouped by a metadata key. Filtering by `name` keeps Polar's system events out.
   * Pages are read oldest first up to a fixed end, so events arriving meanwhile shift nothing.
   */
  async sumEvents(params: EventUsageRequest): Promise<UsageSum> {
    const { window, maxPages } = params;
    let tally = EMPTY_TALLY;
    let pages = 0;
    for await (const page of this.transport.pages("events.list", PolarEvent, (sdk, page) =>
      sdk.events.list({
        customer_id: params.customerId,
        name: params.eventName,
        start_timestamp: window.start.toISOString(),
        end_timestamp: window.end.toISOString(),
        sorting: ["timestamp"],
        page,
        limit: PAGE_LIMIT,
      }),
    )) {
      pages += 1;
      tally = tallyEvents(tally, page.items, params);
      // Stopping here sends no request for the next page.
      if (page.hasMore && maxPages !== undefined && pages >= maxPages)
        throw new UsagePagesExceededError(maxPages);
    }
    return eventUsageSum(tally, window, pages);
  }
}
