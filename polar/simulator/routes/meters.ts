import type { FastifyInstance } from "fastify";
import { buckets, isTimeZone, isUnderLimits, TIME_INTERVALS } from "../buckets.ts";
import { notFound, validationError } from "../errors.ts";
import { countEvents, type EventPredicate, MAX_TIME, MIN_TIME } from "../events.ts";
import { metadataMatches, QueryReader } from "../query.ts";
import { customerMeterJson, meterJson } from "../serialize.ts";
import { iso } from "../time.ts";
import {
  contains,
  inOrganization,
  paginate,
  pathUuid,
  type RouteContext,
  rawQuery,
  sortRecords,
} from "./common.ts";

const METER_SORTING = ["created_at", "-created_at", "name", "-name"] as const;
const CUSTOMER_METER_SORTING = [
  "created_at",
  "-created_at",
  "modified_at",
  "-modified_at",
  "customer_id",
  "-customer_id",
  "customer_name",
  "-customer_name",
  "meter_id",
  "-meter_id",
  "meter_name",
  "-meter_name",
  "consumed_units",
  "-consumed_units",
  "credited_units",
  "-credited_units",
  "balance",
  "-balance",
] as const;

export function meterRoutes(app: FastifyInstance, { store }: RouteContext): void {
  app.get("/v1/meters/", async (request) => {
    const query = new QueryReader(rawQuery(request));
    const organizationIds = query.uuidList("organization_id");
    const text = query.string("query");
    const isArchived = query.bool("is_archived");
    const metadata = query.metadata();
    const { page, limit } = query.pagination();
    const sorting = query.sorting(METER_SORTING, ["name"]);
    query.finish();

    const matching = store.meters.filter(
      (meter) =>
        inOrganization(store, organizationIds) &&
        (text === undefined || contains(meter.name, text)) &&
        isArchived !== true &&
        metadataMatches(meter.metadata, metadata),
    );
    const sorted = sortRecords(matching, sorting, {
      created_at: (meter) => meter.created_at,
      name: (meter) => meter.name,
    });
    const result = paginate(sorted, page, limit);
    return { ...result, items: result.items.map((meter) => meterJson(store, meter)) };
  });

  app.get("/v1/meters/:id", async (request) => {
    const meter = store.meter(pathUuid(request));
    if (!meter) throw notFound();
    return meterJson(store, meter);
  });

  app.get("/v1/meters/:id/quantities", async (request) => {
    const id = pathUuid(request);
    const query = new QueryReader(rawQuery(request));
    const start = query.dateTime("start_timestamp", { required: true, aware: true });
    const end = query.dateTime("end_timestamp", { required: true, aware: true });
    const interval = query.enumValue("interval", TIME_INTERVALS, { required: true });
    const timezone = query.string("timezone") ?? "UTC";
    if (!isTimeZone(timezone)) {
      query.fail({
        type: "value_error",
        loc: ["query", "timezone"],
        msg: "Invalid timezone",
        input: timezone,
      });
    }
    const customerIds = query.uuidList("customer_id");
    const externalCustomerIds = query.stringList("external_customer_id");
    const aggregation = query.enumValue("customer_aggregation_function", [
      "count",
      "sum",
      "max",
      "min",
      "avg",
      "unique",
    ] as const);
    const metadata = query.metadata();
    query.finish();

    const meter = store.meter(id);
    if (!meter) throw notFound();
    if (!isUnderLimits(start!, end!, interval!)) {
      throw validationError([
        {
          loc: ["query"],
          msg: "The interval is too small for the given date range. Use a larger interval or reduce the date range.",
          type: "value_error",
          input: [iso(start!), iso(end!), interval],
        },
      ]);
    }
    if (aggregation !== undefined) {
      throw validationError([
        {
          loc: ["query", "customer_aggregation_function"],
          msg: "customer_aggregation_function is not supported by the Polar simulator.",
          type: "value_error",
          input: aggregation,
        },
      ]);
    }

    const predicates: EventPredicate[] = [store.meterPredicate(meter)];
    if (customerIds !== undefined) predicates.push(store.customerIdPredicate(customerIds));
    if (externalCustomerIds !== undefined)
      predicates.push(store.externalCustomerIdPredicate(externalCustomerIds));
    if (metadata !== undefined)
      predicates.push((event) => metadataMatches(event.metadata, metadata));
    const sources = store.eventSources(
      (event) => predicates.every((predicate) => predicate(event)),
      {
        from: MIN_TIME,
        to: MAX_TIME,
      },
    );
    const quantities = buckets(start!, end!, interval!, timezone).map((bucket) => ({
      timestamp: iso(bucket.timestamp),
      quantity: countEvents(sources, bucket.from, bucket.to),
    }));
    return { quantities, total: quantities.reduce((sum, item) => sum + item.quantity, 0) };
  });

  app.get("/v1/customer-meters/", async (request) => {
    const query = new QueryReader(rawQuery(request));
    const organizationIds = query.uuidList("organization_id");
    const customerIds = query.uuidList("customer_id");
    const externalCustomerIds = query.stringList("external_customer_id");
    const meterIds = query.uuidList("meter_id");
    const { page, limit } = query.pagination();
    const sorting = query.sorting(CUSTOMER_METER_SORTING, ["-modified_at"]);
    query.finish();

    const customers = store.customers.filter(
      (customer) =>
        inOrganization(store, organizationIds) &&
        (customerIds === undefined || customerIds.includes(customer.id)) &&
        (externalCustomerIds === undefined ||
          (customer.external_id !== null && externalCustomerIds.includes(customer.external_id))),
    );
    const meters = store.meters.filter(
      (meter) => meterIds === undefined || meterIds.includes(meter.id),
    );
    // Balances for every row (to filter and sort); the JSON only for the page answered.
    const rows = customers.flatMap((customer) =>
      meters.flatMap((meter) => {
        const balance = store.customerMeter(customer, meter);
        return balance === null ? [] : [{ balance, customer, meter }];
      }),
    );
    const sorted = sortRecords(rows, sorting, {
      created_at: (row) => row.customer.created_at,
      modified_at: (row) => row.balance.since,
      customer_id: (row) => row.customer.id,
      customer_name: (row) => row.customer.name,
      meter_id: (row) => row.meter.id,
      meter_name: (row) => row.meter.name,
      consumed_units: (row) => row.balance.consumed_units,
      credited_units: (row) => row.balance.credited_units,
      balance: (row) => row.balance.balance,
    });
    const result = paginate(sorted, page, limit);
    return {
      ...result,
      items: result.items.map((row) => customerMeterJson(store, row.customer, row.meter)),
    };
  });

  app.get("/v1/customer-meters/:id", async (request) => {
    const id = pathUuid(request);
    for (const customer of store.customers) {
      for (const meter of store.meters) {
        const json = customerMeterJson(store, customer, meter);
        if (json?.id === id) return json;
      }
    }
    throw notFound();
  });
}
