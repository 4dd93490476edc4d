/** Events: pages of them for callers who page, and ingestion of usage events. */
import { validate } from "../../lib/validation.ts";
import { invalidRequest } from "../errors.ts";
import {
  CustomerRef,
  type IngestEvent,
  IngestResult,
  ingestEventSchema,
  PolarEvent,
} from "../schemas.ts";
import { checkInput, type ListPage, PAGE_LIMIT, type PolarTransport } from "../transport.ts";
import { customerQuery } from "./customers.ts";

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

export class EventsResource {
  private readonly transport: PolarTransport;

  constructor(transport: PolarTransport) {
    this.transport = transport;
  }

  /** One page of events matching the filter, for callers who page (system events included). */
  async listPage(
    filter: EventFilter,
    page: { page: number; limit: number },
  ): Promise<ListPage<PolarEvent>> {
    if (filter.customer) checkInput(CustomerRef, filter.customer, "customer");
    return this.transport.page("events.list", PolarEvent, page.page, (sdk) =>
      sdk.events.list({
        ...customerQuery(filter.customer),
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
  }

  /**
   * Ingests usage events after checking Polar's rules; a violation names the field and sends
   * nothing. When every event has an `external_id`, Polar de-duplicates a repeat, so a failed
   * ingestion is retried; without one a repeat could count an event twice, so it is not.
   */
  async ingest(events: unknown[]): Promise<{ inserted: number; duplicates: number }> {
    const schema = ingestEventSchema(() => this.transport.clock.now());
    const valid: IngestEvent[] = [];
    const issues = events.flatMap((event, index) => {
      const checked = validate(schema, event, ["events", index]);
      if (checked.success) valid.push(checked.data);
      return checked.success ? [] : checked.issues;
    });
    if (events.length === 0) issues.push({ path: "events", message: "at least one event" });
    if (issues.length > 0) throw invalidRequest(issues);
    return this.transport.write(
      "events.ingest",
      IngestResult,
      (sdk) => sdk.events.ingest({ events: valid }),
      { repeatable: valid.every((event) => event.external_id) },
    );
  }
}
