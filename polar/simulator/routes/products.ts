import type { FastifyInstance } from "fastify";
import { notFound } from "../errors.ts";
import { metadataMatches, QueryReader } from "../query.ts";
import { productJson } from "../serialize.ts";
import {
  contains,
  inOrganization,
  paginate,
  pathUuid,
  type RouteContext,
  rawQuery,
  sortRecords,
} from "./common.ts";

const SORTING = [
  "created_at",
  "-created_at",
  "name",
  "-name",
  "price_amount_type",
  "-price_amount_type",
  "price_amount",
  "-price_amount",
] as const;

export function productRoutes(app: FastifyInstance, { store }: RouteContext): void {
  app.get("/v1/products/", async (request) => {
    const query = new QueryReader(rawQuery(request));
    const ids = query.uuidList("id");
    const organizationIds = query.uuidList("organization_id");
    const text = query.string("query");
    const isArchived = query.bool("is_archived");
    const isRecurring = query.bool("is_recurring");
    const benefitIds = query.uuidList("benefit_id");
    const visibility = query.enumList("visibility", ["draft", "private", "public"] as const);
    const metadata = query.metadata();
    const { page, limit } = query.pagination();
    const sorting = query.sorting(SORTING, ["-created_at"]);
    query.finish();

    const matching = store.products.filter(
      (product) =>
        inOrganization(store, organizationIds) &&
        (ids === undefined || ids.includes(product.id)) &&
        (text === undefined || contains(product.name, text)) &&
        (isArchived === undefined || product.is_archived === isArchived) &&
        (isRecurring === undefined || (product.recurring_interval !== null) === isRecurring) &&
        (benefitIds === undefined || product.benefit_ids.some((id) => benefitIds.includes(id))) &&
        (visibility === undefined || visibility.includes("public")) &&
        metadataMatches(product.metadata, metadata),
    );
    const sorted = sortRecords(matching, sorting, {
      created_at: (product) => product.created_at,
      name: (product) => product.name,
      price_amount_type: () => "fixed",
      price_amount: (product) => product.price.amount,
    });
    const result = paginate(sorted, page, limit);
    return { ...result, items: result.items.map((product) => productJson(store, product)) };
  });

  app.get("/v1/products/:id", async (request) => {
    const product = store.product(pathUuid(request));
    if (!product) throw notFound();
    return productJson(store, product);
  });
}
