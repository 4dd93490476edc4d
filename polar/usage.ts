/**
 * Usage arithmetic: how events add up to a usage figure, and the shape of the figure. Pure
 * functions of their arguments, so the sum reads the same page by page or all at once.
 */

export interface UsageWindow {
  start: Date;
  end: Date;
}

export interface UsageSum {
  source: "events" | "meter";
  total: number;
  by_group: Record<string, number>;
  window_start: string;
  window_end: string;
  /** Events read (events path) — each counted once. */
  events: number;
  /** List pages read (events path); 0 on the meter path. */
  pages: number;
}

/** What to sum: events of one name, counted or summing a numeric property, maybe grouped. */
export interface EventMeasure {
  eventName: string;
  /** Metadata key to group by; events without it fall under `UNGROUPED`. */
  groupBy?: string;
  /** Numeric metadata property to sum; absent: each event counts 1. */
  sumProperty?: string;
}

/** A running event sum: events seen so far. */
export interface EventTally {
  total: number;
  events: number;
  /** A Map, not an object: a group may be named anything, `__proto__` included. */
  byGroup: ReadonlyMap<string, number>;
}

/** Group for events that lack the `group_by` key. */
export const UNGROUPED = "(none)";

export const EMPTY_TALLY: EventTally = { total: 0, events: 0, byGroup: new Map() };

/** The tally after `events` too. Events of another name (Polar's system events) add nothing. */
export function tallyEvents(
  tally: EventTally,
  events: readonly { name: string; metadata: Record<string, unknown> }[],
  measure: EventMeasure,
): EventTally {
  let { total, events: count } = tally;
  const byGroup = new Map(tally.byGroup);
  for (const event of events) {
    if (event.name !== measure.eventName) continue;
    count += 1;
    const amount = measure.sumProperty ? numericValue(event.metadata[measure.sumProperty]) : 1;
    total += amount;
    if (measure.groupBy) {
      const group = groupOf(event.metadata[measure.groupBy]);
      byGroup.set(group, (byGroup.get(group) ?? 0) + amount);
    }
  }
  return { total, events: count, byGroup };
}

/** The events path's figure: groups largest first. */
export function eventUsageSum(tally: EventTally, window: UsageWindow, pages: number): UsageSum {
  return {
    source: "events",
    total: tally.total,
    by_group: Object.fromEntries([...tally.byGroup].sort((a, b) => b[1] - a[1])),
    window_start: window.start.toISOString(),
    window_end: window.end.toISOString(),
    events: tally.events,
    pages,
  };
}

/** The meter path's figure: Polar's own total, no groups, no pages. */
export function meterUsageSum(total: number, window: UsageWindow): UsageSum {
  return {
    source: "meter",
    total,
    by_group: {},
    window_start: window.start.toISOString(),
    window_end: window.end.toISOString(),
    events: 0,
    pages: 0,
  };
}

/** The bucket size for Polar's meter quantities: days up to a year, months beyond. */
export function meterInterval(window: UsageWindow): "day" | "month" {
  const spanDays = (window.end.getTime() - window.start.getTime()) / 86_400_000;
  return spanDays <= 366 ? "day" : "month";
}

/** A metadata value as a number: finite numbers and numeric strings; anything else is 0. */
export function numericValue(value: unknown): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)))
    return Number(value);
  return 0;
}

function groupOf(raw: unknown): string {
  return raw === undefined || raw === null || raw === "" ? UNGROUPED : String(raw);
}
