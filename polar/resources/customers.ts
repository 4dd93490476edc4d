/** Customers: one by Polar id or external id, and its state (subscriptions, meters) in one read. */
import { Customer, CustomerRef, CustomerState } from "../schemas.ts";
import { checkInput, orNullWhenMissing, type PolarTransport } from "../transport.ts";

export class CustomersResource {
  private readonly transport: PolarTransport;

  constructor(transport: PolarTransport) {
    this.transport = transport;
  }

  /** The customer, or null when Polar has no such customer. */
  async get(ref: CustomerRef): Promise<Customer | null> {
    checkInput(CustomerRef, ref, "customer");
    return orNullWhenMissing(() =>
      "id" in ref
        ? this.transport.read("customers.get", Customer, (sdk) => sdk.customers.get(ref.id))
        : this.transport.read("customers.getExternal", Customer, (sdk) =>
            sdk.customers.getExternal(ref.external_id),
          ),
    );
  }

  /** Customer + active subscriptions + meter balances in one request, or null. */
  async getState(ref: CustomerRef): Promise<CustomerState | null> {
    checkInput(CustomerRef, ref, "customer");
    return orNullWhenMissing(() =>
      "id" in ref
        ? this.transport.read("customers.getState", CustomerState, (sdk) =>
            sdk.customers.getState(ref.id),
          )
        : this.transport.read("customers.getStateExternal", CustomerState, (sdk) =>
            sdk.customers.getStateExternal(ref.external_id),
          ),
    );
  }
}

/** A customer reference as list-endpoint query parameters. */
export function customerQuery(
  ref: CustomerRef | undefined,
): { customer_id: string } | { external_customer_id: string } | Record<string, never> {
  if (!ref) return {};
  return "id" in ref ? { customer_id: ref.id } : { external_customer_id: ref.external_id };
}
