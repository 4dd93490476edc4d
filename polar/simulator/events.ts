/**
 * Event listing over two kinds of source: lazily generated usage series (an event is a pure
 * function of its index, so a million of them cost nothing until read) and stored events
 * (Polar's system events and everything ingested). Counting is arithmetic and paging finds its
 * starting point by binary search, so deep pages and large totals stay cheap.
 */
import { seriesEventId, seriesIdPrefix, seriesIndexFromId } from "./ids.ts";
import type { EventRecord, Filter, FilterClause, SeriesSpec } from "./model.ts";

/** A predicate that depends on an event's name, source, customer, metadata and lineage — never its timestamp. */
export type EventPredicate = (event: EventRecord) => boolean;

export type SortDirection = "asc" | "desc";

/**
 * The default query window: wider than any four-digit-year timestamp, narrow enough that
 * millisecond arithmetic on it stays exact (below 2^53).
 */
export const MIN_TIME = -1_000_000_000_000_000;
export const MAX_TIME = 1_000_000_000_000_000;

export interface EventSource {
  /** Matching events with `from <= timestamp < to`. */
  count(from: number, to: number): number;
  /** Matching events from `start` on: `timestamp <= start` descending, or `>= start` ascending. */
  iterate(start: number, direction: SortDirection): Iterator<EventRecord>;
}

export class UsageSeries {
  readonly spec: SeriesSpec;
  private readonly idPrefix: string;
  private readonly customerFields: Pick<EventRecord, "customer_id" | "external_customer_id">;

  constructor(spec: SeriesSpec, externalCustomerId: string | null) {
    this.spec = spec;
    this.idPrefix = seriesIdPrefix(spec.key);
    // Events sent with an external id keep `customer_id` null; Polar resolves the customer on read.
    this.customerFields =
      externalCustomerId === null
        ? { customer_id: spec.customer_id, external_customer_id: null }
        : { customer_id: null, external_customer_id: externalCustomerId };
  }

  /** Evenly spread over the window; strictly increasing because the window is longer than the count in ms. */
  timestampAt(index: number): number {
    const { window_start, window_end, count } = this.spec;
    const span = window_end - window_start;
    return window_start + Math.floor(((2 * index + 1) * span) / (2 * count));
  }

  eventAt(index: number): EventRecord {
    return {
      id: seriesEventId(this.idPrefix, index),
      timestamp: this.timestampAt(index),
      name: this.spec.name,
      source: "user",
      ...this.customerFields,
      external_id: null,
      parent_id: null,
      depth: 0,
      metadata: { ...this.spec.metadata_cycle[index % this.spec.metadata_cycle.length] },
    };
  }

  indexOf(id: string): number | null {
    const index = seriesIndexFromId(this.idPrefix, id);
    return index !== null && index < this.spec.count ? index : null;
  }

  /** The first index whose timestamp is at or after `ms` (`count` when there is none). */
  firstIndexAtOrAfter(ms: number): number {
    let low = 0;
    let high = this.spec.count;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      if (this.timestampAt(middle) >= ms) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  /** The series restricted to a predicate and a window, as an event source. */
  source(predicate: EventPredicate, window: { from: number; to: number }): EventSource {
    const period = this.spec.metadata_cycle.length;
    // Every event of a residue class shares everything the predicate may look at.
    const residues: number[] = [];
    for (let residue = 0; residue < period; residue++) {
      if (predicate(this.eventAt(residue))) residues.push(residue);
    }
    const countBelow = (index: number) =>
      Math.floor(index / period) * residues.length +
      residues.filter((residue) => residue < index % period).length;
    const matches = (index: number) => residues.includes(index % period);
    const bound = (from: number, to: number): [number, number] => [
      this.firstIndexAtOrAfter(Math.max(from, window.from)),
      this.firstIndexAtOrAfter(Math.min(to, window.to)),
    ];
    const series = this;
    return {
      count(from, to) {
        if (residues.length === 0) return 0;
        const [low, high] = bound(from, to);
        return high > low ? countBelow(high) - countBelow(low) : 0;
      },
      *iterate(start, direction) {
        if (residues.length === 0) return;
        const [low, high] = bound(MIN_TIME, MAX_TIME);
        if (direction === "desc") {
          for (
            let index = Math.min(series.firstIndexAtOrAfter(start + 1), high) - 1;
            index >= low;
            index--
          ) {
            if (matches(index)) yield series.eventAt(index);
          }
        } else {
          for (
            let index = Math.max(series.firstIndexAtOrAfter(start), low);
            index < high;
            index++
          ) {
            if (matches(index)) yield series.eventAt(index);
          }
        }
      },
    };
  }
}

function compareEvents(a: EventRecord, b: EventRecord): number {
  return a.timestamp - b.timestamp || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Stored events restricted to a predicate and a window, as an event source. */
export function storedSource(
  events: readonly EventRecord[],
  predicate: EventPredicate,
  window: { from: number; to: number },
): EventSource {
  const sorted = events
    .filter(
      (event) => event.timestamp >= window.from && event.timestamp < window.to && predicate(event),
    )
    .sort(compareEvents);
  const firstAtOrAfter = (ms: number) => {
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      if (sorted[middle].timestamp >= ms) high = middle;
      else low = middle + 1;
    }
    return low;
  };
  return {
    count(from, to) {
      return Math.max(0, firstAtOrAfter(to) - firstAtOrAfter(from));
    },
    *iterate(start, direction) {
      if (direction === "desc") {
        for (let index = firstAtOrAfter(start + 1) - 1; index >= 0; index--) yield sorted[index];
      } else {
        for (let index = firstAtOrAfter(start); index < sorted.length; index++) yield sorted[index];
      }
    },
  };
}

export function countEvents(sources: readonly EventSource[], from: number, to: number): number {
  return sources.reduce((sum, source) => sum + source.count(from, to), 0);
}

/**
 * One page of the merged, sorted sources. Binary search finds the timestamp of the page's first
 * event, then a k-way merge walks only the page itself (ties broken by id).
 */
export function pageEvents(
  sources: readonly EventSource[],
  window: { from: number; to: number },
  direction: SortDirection,
  offset: number,
  limit: number,
): { items: EventRecord[]; total: number } {
  const total = countEvents(sources, window.from, window.to);
  if (offset >= total || limit <= 0) return { items: [], total };

  let low = window.from;
  let high = window.to - 1;
  let skip: number;
  let start: number;
  if (direction === "desc") {
    // The largest T with at least offset+1 events at or after T.
    while (low < high) {
      const middle = low + Math.ceil((high - low) / 2);
      if (countEvents(sources, middle, window.to) >= offset + 1) low = middle;
      else high = middle - 1;
    }
    start = low;
    skip = offset - countEvents(sources, start + 1, window.to);
  } else {
    // The smallest T with at least offset+1 events at or before T.
    while (low < high) {
      const middle = low + Math.floor((high - low) / 2);
      if (countEvents(sources, window.from, middle + 1) >= offset + 1) high = middle;
      else low = middle + 1;
    }
    start = low;
    skip = offset - countEvents(sources, window.from, start);
  }

  const order = direction === "desc" ? -1 : 1;
  const iterators = sources.map((source) => source.iterate(start, direction));
  const heads = iterators.map((iterator) => iterator.next());
  const items: EventRecord[] = [];
  while (items.length < limit) {
    let best = -1;
    for (let index = 0; index < heads.length; index++) {
      const head = heads[index];
      if (head.done) continue;
      if (best === -1 || order * compareEvents(head.value, heads[best].value as EventRecord) < 0)
        best = index;
    }
    if (best === -1) break;
    const event = heads[best].value as EventRecord;
    heads[best] = iterators[best].next();
    if (skip > 0) skip--;
    else items.push(event);
  }
  return { items, total };
}

/** Polar's filter clauses: `name`, `source` and `timestamp` (epoch seconds) or a metadata key. */
export function filterMatches(filter: Filter, event: EventRecord): boolean {
  const results = filter.clauses.map((clause) =>
    "clauses" in clause ? filterMatches(clause, event) : clauseMatches(clause, event),
  );
  return filter.conjunction === "and" ? results.every(Boolean) : results.some(Boolean);
}

function clauseMatches(clause: FilterClause, event: EventRecord): boolean {
  const actual =
    clause.property === "name"
      ? event.name
      : clause.property === "source"
        ? event.source
        : clause.property === "timestamp"
          ? Math.floor(event.timestamp / 1000)
          : event.metadata[clause.property];
  if (actual === undefined || actual === null)
    return clause.operator === "ne" || clause.operator === "not_like";
  const expected = clause.value;
  switch (clause.operator) {
    case "eq":
      return typeof expected === "string" ? String(actual) === expected : actual === expected;
    case "ne":
      return typeof expected === "string" ? String(actual) !== expected : actual !== expected;
    case "like":
      return String(actual).toLowerCase().includes(String(expected).toLowerCase());
    case "not_like":
      return !String(actual).toLowerCase().includes(String(expected).toLowerCase());
    default: {
      const left = Number(actual);
      const right = Number(expected);
      if (Number.isNaN(left) || Number.isNaN(right)) return false;
      if (clause.operator === "gt") return left > right;
      if (clause.operator === "gte") return left >= right;
      if (clause.operator === "lt") return left < right;
      return left <= right;
    }
  }
}

export function filterMentions(filter: Filter, property: string): boolean {
  return filter.clauses.some((clause) =>
    "clauses" in clause ? filterMentions(clause, property) : clause.property === property,
  );
}
