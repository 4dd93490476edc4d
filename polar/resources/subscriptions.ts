/** Subscriptions: lists, one by id, and the one change polar-flows makes — a scheduled end. */
import { PolarGatewayError } from "../errors.ts";
import {
  type CancellationReason,
  CustomerRef,
  Subscription,
  type SubscriptionStatus,
} from "../schemas.ts";
import {
  checkInput,
  type ListPage,
  orNullWhenMissing,
  PAGE_LIMIT,
  type PolarTransport,
} from "../transport.ts";
import { customerQuery } from "./customers.ts";

export interface SubscriptionFilter {
  customer?: CustomerRef;
  productId?: string;
  /** true: active or trialing; false: neither; absent: any. */
  active?: boolean;
  status?: SubscriptionStatus[];
  cancelAtPeriodEnd?: boolean;
}

export type CancellationResult =
  | { status: "scheduled" | "already_scheduled"; subscription: Subscription }
  | { status: "not_found" };

export class SubscriptionsResource {
  private readonly transport: PolarTransport;

  constructor(transport: PolarTransport) {
    this.transport = transport;
  }

  /** Active (active or trialing) subscriptions of a customer, newest first. */
  async listActive(customerId: string): Promise<Subscription[]> {
    const subscriptions: Subscription[] = [];
    for await (const subscription of this.transport.items(
      "subscriptions.list",
      Subscription,
      (sdk, page) =>
        sdk.subscriptions.list({ customer_id: customerId, active: true, page, limit: PAGE_LIMIT }),
    )) {
      subscriptions.push(subscription);
    }
    return subscriptions;
  }

  /** One page of subscriptions matching the filter (newest first), for callers who page. */
  async listPage(
    filter: SubscriptionFilter,
    page: { page: number; limit: number },
  ): Promise<ListPage<Subscription>> {
    if (filter.customer) checkInput(CustomerRef, filter.customer, "customer");
    return this.transport.page("subscriptions.list", Subscription, page.page, (sdk) =>
      sdk.subscriptions.list({
        ...customerQuery(filter.customer),
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
  }

  /** One page of the active subscriptions of up to 100 customers at once (a sweep's batch). */
  activeOfCustomersPage(
    customerIds: readonly string[],
    productId: string | null,
    page: number,
  ): Promise<ListPage<Subscription>> {
    return this.transport.page("subscriptions.list", Subscription, page, (sdk) =>
      sdk.subscriptions.list({
        customer_id: [...customerIds],
        ...(productId ? { product_id: productId } : {}),
        active: true,
        page,
        limit: PAGE_LIMIT,
      }),
    );
  }

  async get(id: string): Promise<Subscription | null> {
    return orNullWhenMissing(() =>
      this.transport.read("subscriptions.get", Subscription, (sdk) => sdk.subscriptions.get(id)),
    );
  }

  /**
   * Schedules the end of a subscription at the end of its period (reversible; access is kept
   * until `current_period_end`). The PATCH goes first: setting the flag again changes nothing,
   * so it is retried like a read, and Polar refuses it (403) when the end is already scheduled —
   * then the subscription is read to say so.
   */
  async scheduleCancellation(
    subscriptionId: string,
    details: { reason?: CancellationReason; comment?: string } = {},
  ): Promise<CancellationResult> {
    try {
      const subscription = await this.transport.write(
        "subscriptions.update",
        Subscription,
        (sdk) =>
          sdk.subscriptions.update(subscriptionId, {
            cancel_at_period_end: true,
            ...(details.reason ? { customer_cancellation_reason: details.reason } : {}),
            ...(details.comment ? { customer_cancellation_comment: details.comment } : {}),
          }),
        { repeatable: true },
      );
      return { status: "scheduled", subscription };
    } catch (error) {
      if (!(error instanceof PolarGatewayError)) throw error;
      if (error.status === 404) return { status: "not_found" };
      if (error.status !== 403) throw error;
      const now = await this.get(subscriptionId);
      if (!now?.cancel_at_period_end) throw error;
      return { status: "already_scheduled", subscription: now };
    }
  }
}
