import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { parseBody, toValidationIssues } from "../body.ts";
import {
  issue,
  type Loc,
  notFound,
  PolarHttpError,
  type ValidationIssue,
  validationError,
} from "../errors.ts";
import {
  type EventPredicate,
  filterMatches,
  filterMentions,
  MAX_TIME,
  MIN_TIME,
  pageEvents,
} from "../events.ts";
import { stableUuid, UUID_PATTERN } from "../ids.ts";
import type { EventRecord, Filter } from "../model.ts";
import { metadataMatches, parseDateTime, QueryReader } from "../query.ts";
import { eventJson } from "../serialize.ts";
import { contains, inOrganization, pathUuid, type RouteContext, rawQuery } from "./common.ts";

const filterClause = z.object({
  property: z.string(),
  operator: z.enum(["eq", "ne", "gt", "gte", "lt", "lte", "like", "not_like"]),
  value: z.union([z.string().max(1000), z.int().min(-2147483648).max(2147483647), z.boolean()]),
});
const filterSchema: z.ZodType<Filter> = z.lazy(() =>
  z.object({
    conjunction: z.enum(["and", "or"]),
    clauses: z.array(z.union([filterClause, filterSchema])),
  }),
);

const eventFields = z.object({
  name: z.string().max(128),
  organization_id: z.uuid().nullable().optional(),
  external_id: z.string().nullable().optional(),
  parent_id: z.string().nullable().optional(),
  customer_id: z.uuidv4().optional(),
  external_customer_id: z.string().optional(),
  member_id: z.uuid().nullable().optional(),
  external_member_id: z.string().nullable().optional(),
});

const ingestBody = z.object({ events: z.array(z.record(z.string(), z.unknown())) });

const metadataValue = z.union([z.string().min(1).max(500), z.number(), z.boolean()]);
const costMetadata = z.object({
  amount: z.union([z.number(), z.string().regex(/^[+-]?\d*\.?\d+$/)]),
  currency: z.string().regex(/usd/),
});
const llmMetadata = z.object({
  vendor: z.string(),
  model: z.string(),
  prompt: z.string().nullable().optional(),
  response: z.string().nullable().optional(),
  input_tokens: z.int(),
  cached_input_tokens: z.int().optional(),
  output_tokens: z.int(),
  total_tokens: z.int(),
});

/** Polar's rules for event metadata; `_cost` and `_llm` are structured keys. */
function metadataIssues(metadata: unknown, loc: Loc): ValidationIssue[] {
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    return [{ type: "dict_type", loc, msg: "Input should be a valid dictionary", input: metadata }];
  }
  const entries = Object.entries(metadata);
  const problems: ValidationIssue[] = [];
  if (entries.length > 50) {
    problems.push({
      type: "too_long",
      loc,
      msg: `Dictionary should have at most 50 items after validation, not ${entries.length}`,
      input: metadata,
      ctx: { field_type: "Dictionary", max_length: 50, actual_length: entries.length },
    });
  }
  for (const [key, value] of entries) {
    if (key.length < 1 || key.length > 40) {
      problems.push({
        type: key.length < 1 ? "string_too_short" : "string_too_long",
        loc: [...loc, key, "[key]"],
        msg:
          key.length < 1
            ? "String should have at least 1 character"
            : "String should have at most 40 characters",
        input: key,
        ctx: key.length < 1 ? { min_length: 1 } : { max_length: 40 },
      });
    }
    const schema = key === "_cost" ? costMetadata : key === "_llm" ? llmMetadata : metadataValue;
    const result = schema.safeParse(value, { reportInput: true });
    if (!result.success) problems.push(...toValidationIssues(result.error, [...loc, key]));
  }
  return problems;
}

export function eventRoutes(app: FastifyInstance, { store }: RouteContext): void {
  app.get("/v1/events/", async (request) => {
    const query = new QueryReader(rawQuery(request));
    const filterText = query.string("filter");
    const start = query.dateTime("start_timestamp");
    const end = query.dateTime("end_timestamp");
    const organizationIds = query.uuidList("organization_id");
    const customerIds = query.uuidList("customer_id");
    const externalCustomerIds = query.stringList("external_customer_id");
    const meterId = query.uuid("meter_id");
    const names = query.stringList("name");
    const sources = query.enumList("source", ["system", "user"] as const);
    const text = query.string("query");
    const parentId = query.uuid("parent_id");
    const depth = query.int("depth", { min: 0, max: 5 });
    const { page, limit } = query.pagination();
    const sorting = query.sorting(["timestamp", "-timestamp"] as const, ["-timestamp"]);
    const metadata = query.metadata();
    let filter: Filter | undefined;
    if (filterText !== undefined) {
      filter = parseFilter(filterText, (problem) => query.fail(problem));
    }
    const meter = meterId === undefined ? undefined : store.meter(meterId);
    if (meterId !== undefined && meter === undefined) {
      query.fail({
        type: "meter_id",
        loc: ["query", "meter_id"],
        msg: "Meter not found.",
        input: meterId,
      });
    }
    query.finish();

    const predicates: EventPredicate[] = [];
    if (!inOrganization(store, organizationIds)) predicates.push(() => false);
    if (filter !== undefined) predicates.push((event) => filterMatches(filter, event));
    if (customerIds !== undefined) predicates.push(store.customerIdPredicate(customerIds));
    if (externalCustomerIds !== undefined)
      predicates.push(store.externalCustomerIdPredicate(externalCustomerIds));
    if (meter !== undefined) predicates.push(store.meterPredicate(meter));
    if (names !== undefined) predicates.push((event) => names.includes(event.name));
    if (sources !== undefined) predicates.push((event) => sources.includes(event.source));
    if (metadata !== undefined)
      predicates.push((event) => metadataMatches(event.metadata, metadata));
    if (text !== undefined) predicates.push((event) => textMatches(event, text));
    if (parentId !== undefined) {
      predicates.push((event) =>
        store.isDescendant(event, parentId, depth ?? Number.POSITIVE_INFINITY),
      );
    } else if (depth !== undefined) {
      predicates.push((event) => event.depth <= depth);
    }

    // Polar's bounds are exclusive: `timestamp > start_timestamp` and `timestamp < end_timestamp`.
    const window = {
      from: start === undefined ? MIN_TIME : start + 1,
      to: end === undefined ? MAX_TIME : end,
    };
    const eventSources = store.eventSources(
      (event) => predicates.every((predicate) => predicate(event)),
      window,
    );
    const direction = sorting[0] === "timestamp" ? "asc" : "desc";
    const { items, total } = pageEvents(eventSources, window, direction, (page - 1) * limit, limit);
    return {
      items: items.map((event) => eventJson(store, event)),
      pagination: { total_count: total, max_page: Math.ceil(total / limit) },
    };
  });

  function textMatches(event: EventRecord, text: string): boolean {
    const customer = store.eventCustomer(event);
    return (
      contains(event.name, text) ||
      contains(event.source, text) ||
      (customer !== undefined &&
        (contains(customer.id, text) ||
          contains(customer.external_id, text) ||
          contains(customer.name, text) ||
          contains(customer.email, text))) ||
      Object.values(event.metadata).some((value) => contains(String(value), text))
    );
  }

  app.get("/v1/events/:id", async (request) => {
    const event = store.event(pathUuid(request));
    if (!event) throw notFound();
    return eventJson(store, event);
  });

  app.post("/v1/events/ingest", async (request) => {
    const { events } = parseBody(ingestBody, request.body);
    const now = store.now();
    const problems: ValidationIssue[] = [];
    const batchExternalIds = new Map<string, number>();
    events.forEach((event, index) => {
      if (typeof event.external_id === "string" && !batchExternalIds.has(event.external_id)) {
        batchExternalIds.set(event.external_id, index);
      }
    });

    const accepted = events.map((raw, index) => {
      const loc: Loc = ["body", "events", index];
      const parsed = eventFields.safeParse(raw, { reportInput: true });
      if (!parsed.success) {
        problems.push(...toValidationIssues(parsed.error, loc));
        return null;
      }
      const fields = parsed.data;
      let failed = false;
      const fail = (problem: ValidationIssue) => {
        problems.push(problem);
        failed = true;
      };

      const hasCustomerId = fields.customer_id !== undefined;
      const hasExternalCustomerId = fields.external_customer_id !== undefined;
      if (hasCustomerId === hasExternalCustomerId) {
        if (hasCustomerId) {
          fail(
            issue.value(
              loc,
              "Value error, Set either customer_id or external_customer_id, not both.",
              raw,
            ),
          );
        } else {
          fail(issue.missing([...loc, "customer_id"], raw));
          fail(issue.missing([...loc, "external_customer_id"], raw));
        }
      }

      let timestamp = now;
      if (raw.timestamp !== undefined) {
        const parsedTimestamp =
          typeof raw.timestamp === "string" ? parseDateTime(raw.timestamp) : null;
        if (parsedTimestamp === null) {
          fail({
            type: "datetime_from_date_parsing",
            loc: [...loc, "timestamp"],
            msg: "Input should be a valid datetime or date",
            input: raw.timestamp,
          });
        } else if (!parsedTimestamp.aware) {
          fail({
            type: "timezone_aware",
            loc: [...loc, "timestamp"],
            msg: "Input should have timezone info",
            input: raw.timestamp,
          });
        } else if (parsedTimestamp.ms > now) {
          fail(
            issue.value(
              [...loc, "timestamp"],
              "Value error, Timestamp must be in the past.",
              raw.timestamp,
            ),
          );
        } else {
          timestamp = parsedTimestamp.ms;
        }
      }

      const metadata = raw.metadata === undefined ? {} : raw.metadata;
      metadataIssues(metadata, [...loc, "metadata"]).forEach(fail);

      if (fields.organization_id != null) {
        fail({
          type: "organization_token",
          loc: [...loc, "organization_id"],
          msg: "Setting organization_id is disallowed when using an organization token.",
          input: fields.organization_id,
        });
      }
      if (fields.customer_id !== undefined && !store.customer(fields.customer_id.toLowerCase())) {
        fail({
          type: "customer_id",
          loc: [...loc, "customer_id"],
          msg: "Customer not found.",
          input: fields.customer_id,
        });
      }
      const parentId = fields.parent_id ?? null;
      if (
        parentId !== null &&
        !batchExternalIds.has(parentId) &&
        resolveStoredParent(parentId) === undefined
      ) {
        fail({
          type: "parent_id",
          loc: [...loc, "parent_id"],
          msg: "Parent event not found.",
          input: parentId,
        });
      }
      if (failed) return null;
      return {
        parentId,
        timestamp,
        name: fields.name,
        customer_id: fields.customer_id?.toLowerCase() ?? null,
        external_customer_id: fields.external_customer_id ?? null,
        external_id: fields.external_id ?? null,
        metadata: metadata as Record<string, unknown>,
      };
    });
    if (problems.length > 0) throw validationError(problems);
    const valid = accepted.filter((event) => event !== null);

    // Parents first: a child may name, by external id, a parent that comes later in the batch.
    const ordered: typeof valid = [];
    const placed = new Set<string>();
    let pending = valid;
    while (pending.length > 0) {
      const ready = pending.filter(
        (event) =>
          event.parentId === null ||
          !batchExternalIds.has(event.parentId) ||
          placed.has(event.parentId),
      );
      if (ready.length === 0) {
        throw new PolarHttpError(400, {
          error: "EventError",
          detail: "Circular dependency detected in event parent relationships",
        });
      }
      for (const event of ready) {
        ordered.push(event);
        if (event.external_id !== null) placed.add(event.external_id);
      }
      pending = pending.filter((event) => !ready.includes(event));
    }

    // `external_id` is unique per organization: a repeat is counted, not stored.
    const inserted = new Map<string, EventRecord>();
    let duplicates = 0;
    for (const event of ordered) {
      if (
        event.external_id !== null &&
        (inserted.has(event.external_id) || store.eventByExternalId(event.external_id))
      ) {
        duplicates++;
        continue;
      }
      const parent =
        event.parentId === null
          ? undefined
          : (inserted.get(event.parentId) ?? resolveStoredParent(event.parentId));
      const record: EventRecord = {
        id: stableUuid(`event:ingested:${store.nextSequence()}`),
        timestamp: event.timestamp,
        name: event.name,
        source: "user",
        customer_id: event.customer_id,
        external_customer_id: event.external_customer_id,
        external_id: event.external_id,
        parent_id: parent?.id ?? null,
        depth: parent === undefined ? 0 : parent.depth + 1,
        metadata: event.metadata,
      };
      store.addEvent(record);
      if (event.external_id !== null) inserted.set(event.external_id, record);
    }
    return { inserted: ordered.length - duplicates, duplicates };
  });

  /** A parent named by its Polar id or by its external id. */
  function resolveStoredParent(parentId: string): EventRecord | undefined {
    return (
      store.eventByExternalId(parentId) ??
      (UUID_PATTERN.test(parentId) ? store.event(parentId.toLowerCase()) : undefined)
    );
  }
}

function parseFilter(text: string, fail: (problem: ValidationIssue) => void): Filter | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    fail({
      type: "value_error",
      loc: ["query", "filter"],
      msg: "Invalid JSON filter",
      input: text,
    });
    return undefined;
  }
  const result = filterSchema.safeParse(json, { reportInput: true });
  if (!result.success) {
    toValidationIssues(result.error, ["query", "filter"]).forEach(fail);
    return undefined;
  }
  if (filterMentions(result.data, "timestamp")) {
    // Lazily generated usage is matched per metadata pattern, which has no single timestamp.
    fail({
      type: "value_error",
      loc: ["query", "filter"],
      msg: "Filtering on timestamp is not supported by the Polar simulator: use start_timestamp and end_timestamp.",
      input: text,
    });
    return undefined;
  }
  return result.data;
}
