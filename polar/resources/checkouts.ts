/** Checkouts: found by the key of the run that made them, or created once. */
import { Checkout } from "../schemas.ts";
import { PAGE_LIMIT, type PolarTransport } from "../transport.ts";

/** Checkout metadata key that ties a checkout to the run that made it. */
export const CHECKOUT_KEY_FIELD = "polar_flows_key";

export interface CheckoutRequest {
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
}

export class CheckoutsResource {
  private readonly transport: PolarTransport;

  constructor(transport: PolarTransport) {
    this.transport = transport;
  }

  /**
   * Finds the checkout tagged with `key` in its metadata, or creates it. A repeated call — a
   * retried or resumed node — finds the first checkout instead of making a second. The
   * checkout names the customer by Polar id only.
   */
  async findOrCreate(params: CheckoutRequest): Promise<{ checkout: Checkout; created: boolean }> {
    // After a 5xx or a timeout the checkout may exist: the whole find-or-create is repeated,
    // and the repeat finds it.
    return this.transport.retried("checkouts.findOrCreate", async () => {
      const existing = await this.findByKey(params);
      if (existing) return { checkout: existing, created: false };
      return { checkout: await this.create(params), created: true };
    });
  }

  /**
   * Creates the checkout tagged with `key`, without looking first: for a caller that knows no
   * earlier attempt was sent (a journal). A failure is not retried here — it may have created it.
   */
  create(params: CheckoutRequest): Promise<Checkout> {
    return this.transport.write("checkouts.create", Checkout, (sdk) =>
      sdk.checkouts.create({
        products: [params.productId],
        customer_id: params.customerId,
        ...(params.successUrl ? { success_url: params.successUrl } : {}),
        metadata: { ...params.metadata, [CHECKOUT_KEY_FIELD]: params.key },
      }),
    );
  }

  /** The customer's checkout tagged with `key`, newest first down to `createdAfter`, or null. */
  async findByKey(params: CheckoutRequest): Promise<Checkout | null> {
    const oldest = params.createdAfter?.getTime() ?? Number.NEGATIVE_INFINITY;
    for await (const checkout of this.transport.items("checkouts.list", Checkout, (sdk, page) =>
      sdk.checkouts.list({
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
}
