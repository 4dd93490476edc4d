import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { parseBody } from "../body.ts";
import { issue, notFound, type ValidationIssue, validationError } from "../errors.ts";
import { stableSecret, stableUuid } from "../ids.ts";
import { CHECKOUT_STATUSES, type CheckoutRecord } from "../model.ts";
import { QueryReader } from "../query.ts";
import { checkoutJson, checkoutStatus } from "../serialize.ts";
import { DAY_MS } from "../time.ts";
import {
  contains,
  inOrganization,
  paginate,
  pathUuid,
  publicUrl,
  type RouteContext,
  rawQuery,
  sortRecords,
} from "./common.ts";
import { metadataInput } from "./schemas.ts";

const SORTING = [
  "created_at",
  "-created_at",
  "expires_at",
  "-expires_at",
  "status",
  "-status",
] as const;
const CHECKOUT_LIFETIME_MS = DAY_MS;

const url = z.url().min(1).max(2083);

/** `CheckoutProductsCreate`; fields the simulator does not act on are accepted and ignored. */
const createBody = z.object({
  products: z.array(z.uuidv4()).min(1),
  customer_id: z.uuidv4().nullable().optional(),
  external_customer_id: z.string().nullable().optional(),
  success_url: url.nullable().optional(),
  return_url: url.nullable().optional(),
  metadata: metadataInput.optional(),
  customer_metadata: metadataInput.optional(),
  customer_email: z.email().nullable().optional(),
  customer_name: z.string().max(256).nullable().optional(),
  allow_discount_codes: z.boolean().optional(),
  require_billing_address: z.boolean().optional(),
  allow_trial: z.boolean().optional(),
  is_business_customer: z.boolean().optional(),
});

export function checkoutRoutes(app: FastifyInstance, { store }: RouteContext): void {
  app.post("/v1/checkouts/", async (request, reply) => {
    const body = parseBody(createBody, request.body);
    const problems: ValidationIssue[] = [];
    body.products.forEach((productId, index) => {
      const product = store.product(productId.toLowerCase());
      if (!product)
        problems.push(
          issue.value(["body", "products", index], "Product does not exist.", productId),
        );
      else if (product.is_archived)
        problems.push(issue.value(["body", "products", index], "Product is archived.", productId));
    });
    if (body.customer_id && body.external_customer_id) {
      problems.push(
        issue.value(
          ["body", "external_customer_id"],
          "Set either customer_id or external_customer_id, not both.",
          body.external_customer_id,
        ),
      );
    } else if (body.customer_id && !store.customer(body.customer_id.toLowerCase())) {
      problems.push(
        issue.value(["body", "customer_id"], "Customer does not exist.", body.customer_id),
      );
    }
    if (problems.length > 0) throw validationError(problems);

    const externalCustomer = body.external_customer_id
      ? store.customerByExternalId(body.external_customer_id)
      : undefined;
    const sequence = store.nextSequence();
    const now = store.now();
    const checkout: CheckoutRecord = {
      id: stableUuid(`checkout:${sequence}`),
      created_at: now,
      client_secret: `polar_c_${stableSecret(`checkout:${sequence}`)}`,
      status: "open",
      expires_at: now + CHECKOUT_LIFETIME_MS,
      product_ids: body.products.map((id) => id.toLowerCase()),
      // Polar links an existing customer named by external id right away.
      customer_id: body.customer_id?.toLowerCase() ?? externalCustomer?.id ?? null,
      external_customer_id: body.external_customer_id ?? null,
      success_url: body.success_url ?? null,
      return_url: body.return_url ?? null,
      metadata: body.metadata ?? {},
      customer_metadata: body.customer_metadata ?? {},
    };
    store.checkouts.push(checkout);
    reply.code(201);
    return checkoutJson(store, checkout, publicUrl(request));
  });

  app.get("/v1/checkouts/", async (request) => {
    const query = new QueryReader(rawQuery(request));
    const organizationIds = query.uuidList("organization_id");
    const productIds = query.uuidList("product_id");
    const customerIds = query.uuidList("customer_id");
    const externalCustomerIds = query.stringList("external_customer_id");
    const statuses = query.enumList("status", CHECKOUT_STATUSES);
    const text = query.string("query");
    const { page, limit } = query.pagination();
    const sorting = query.sorting(SORTING, ["-created_at"]);
    query.finish();

    const matching = store.checkouts.filter((checkout) => {
      const customer = checkout.customer_id ? store.customer(checkout.customer_id) : undefined;
      return (
        inOrganization(store, organizationIds) &&
        (productIds === undefined || productIds.some((id) => checkout.product_ids.includes(id))) &&
        (customerIds === undefined ||
          (checkout.customer_id !== null && customerIds.includes(checkout.customer_id))) &&
        (externalCustomerIds === undefined ||
          externalCustomerIds.some(
            (id) => id === checkout.external_customer_id || id === customer?.external_id,
          )) &&
        (statuses === undefined || statuses.includes(checkoutStatus(store, checkout))) &&
        (text === undefined || contains(customer?.email, text))
      );
    });
    const sorted = sortRecords(matching, sorting, {
      created_at: (checkout) => checkout.created_at,
      expires_at: (checkout) => checkout.expires_at,
      status: (checkout) => checkoutStatus(store, checkout),
    });
    const result = paginate(sorted, page, limit);
    return {
      ...result,
      items: result.items.map((checkout) => checkoutJson(store, checkout, publicUrl(request))),
    };
  });

  app.get("/v1/checkouts/:id", async (request) => {
    const checkout = store.checkout(pathUuid(request));
    if (!checkout) throw notFound();
    return checkoutJson(store, checkout, publicUrl(request));
  });
}
