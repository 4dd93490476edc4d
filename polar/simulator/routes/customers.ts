import type { FastifyInstance } from "fastify";
import { notFound } from "../errors.ts";
import type { CustomerRecord } from "../model.ts";
import { metadataMatches, QueryReader } from "../query.ts";
import { customerJson, customerStateJson } from "../serialize.ts";
import {
  contains,
  inOrganization,
  paginate,
  pathParam,
  pathUuid,
  type RouteContext,
  rawQuery,
  sortRecords,
} from "./common.ts";

const SORTING = ["created_at", "-created_at", "email", "-email", "name", "-name"] as const;
const LIVE_STATUSES = new Set(["trialing", "active", "past_due"]);

export function customerRoutes(app: FastifyInstance, { store }: RouteContext): void {
  function byId(id: string): CustomerRecord {
    const customer = store.customer(id);
    if (!customer) throw notFound();
    return customer;
  }

  function byExternalId(externalId: string): CustomerRecord {
    const customer = store.customerByExternalId(externalId);
    if (!customer) throw notFound();
    return customer;
  }

  app.get("/v1/customers/", async (request) => {
    const query = new QueryReader(rawQuery(request));
    const organizationIds = query.uuidList("organization_id");
    const email = query.string("email");
    const text = query.string("query");
    const active = query.bool("active");
    const metadata = query.metadata();
    const { page, limit } = query.pagination();
    const sorting = query.sorting(SORTING, ["-created_at"]);
    query.finish();

    const matching = store.customers.filter(
      (customer) =>
        inOrganization(store, organizationIds) &&
        (email === undefined || customer.email.toLowerCase() === email.toLowerCase()) &&
        (text === undefined ||
          contains(customer.name, text) ||
          contains(customer.email, text) ||
          contains(customer.external_id, text)) &&
        (active === undefined ||
          active ===
            store.subscriptions.some(
              (subscription) =>
                subscription.customer_id === customer.id && LIVE_STATUSES.has(subscription.status),
            )) &&
        metadataMatches(customer.metadata, metadata),
    );
    const sorted = sortRecords(matching, sorting, {
      created_at: (customer) => customer.created_at,
      email: (customer) => customer.email,
      name: (customer) => customer.name,
    });
    const result = paginate(sorted, page, limit);
    return { ...result, items: result.items.map((customer) => customerJson(store, customer)) };
  });

  app.get("/v1/customers/:id", async (request) => customerJson(store, byId(pathUuid(request))));

  app.get("/v1/customers/external/:external_id", async (request) =>
    customerJson(store, byExternalId(pathParam(request, "external_id"))),
  );

  app.get("/v1/customers/:id/state", async (request) =>
    customerStateJson(store, byId(pathUuid(request))),
  );

  app.get("/v1/customers/external/:external_id/state", async (request) =>
    customerStateJson(store, byExternalId(pathParam(request, "external_id"))),
  );
}
