/**
 * Time buckets for meter quantities, as Polar computes them in PostgreSQL: a series of points
 * `generate_series(start, end, '1 <interval>')`, each counting the events of its
 * `date_trunc(<interval>, point)` bucket, both in the request's time zone.
 */
import { DAY_MS, HOUR_MS } from "./time.ts";

export const TIME_INTERVALS = ["year", "month", "week", "day", "hour"] as const;
export type TimeInterval = (typeof TIME_INTERVALS)[number];

/** Polar's limits on the span of one request, in days (`MAX_INTERVAL_DAYS`). */
export const MAX_SPAN_DAYS: Record<TimeInterval, number> = {
  hour: 7,
  day: 366,
  week: 7 * 53,
  month: 365 * 4,
  year: 365 * 10,
};

/** Polar compares calendar dates (`date.toordinal()`), not instants. */
export function isUnderLimits(start: number, end: number, interval: TimeInterval): boolean {
  if (start > end) return false;
  const days = Math.floor(end / DAY_MS) - Math.floor(start / DAY_MS);
  return days <= MAX_SPAN_DAYS[interval];
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

interface WallTime {
  year: number;
  month: number; // 0-based
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallTime(ms: number, zone: string): WallTime {
  const date = new Date(ms);
  if (zone === "UTC") {
    return {
      year: date.getUTCFullYear(),
      month: date.getUTCMonth(),
      day: date.getUTCDate(),
      hour: date.getUTCHours(),
      minute: date.getUTCMinutes(),
      second: date.getUTCSeconds(),
      millisecond: date.getUTCMilliseconds(),
    };
  }
  let formatter = formatters.get(zone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, formatter);
  }
  const parts = Object.fromEntries(
    formatter.formatToParts(date).map((part) => [part.type, Number(part.value)]),
  );
  return {
    year: parts.year,
    month: parts.month - 1,
    day: parts.day,
    hour: parts.hour,
    minute: parts.minute,
    second: parts.second,
    millisecond: date.getUTCMilliseconds(),
  };
}

function wallAsUtc(wall: WallTime): number {
  return Date.UTC(
    wall.year,
    wall.month,
    wall.day,
    wall.hour,
    wall.minute,
    wall.second,
    wall.millisecond,
  );
}

/** The instant at which the zone's clocks show `wall`. */
function fromWallTime(wall: WallTime, zone: string): number {
  const target = wallAsUtc(wall);
  let guess = target;
  for (let attempt = 0; attempt < 3; attempt++) {
    const offset = wallAsUtc(wallTime(guess, zone)) - guess;
    const next = target - offset;
    if (next === guess) break;
    guess = next;
  }
  return guess;
}

export function truncate(ms: number, interval: TimeInterval, zone: string): number {
  const wall = wallTime(ms, zone);
  const start: WallTime = { ...wall, minute: 0, second: 0, millisecond: 0 };
  if (interval !== "hour") start.hour = 0;
  if (interval === "week") {
    const weekday = (new Date(Date.UTC(wall.year, wall.month, wall.day)).getUTCDay() + 6) % 7;
    start.day -= weekday;
  }
  if (interval === "month" || interval === "year") start.day = 1;
  if (interval === "year") start.month = 0;
  return fromWallTime(normalize(start), zone);
}

export function addInterval(ms: number, interval: TimeInterval, zone: string): number {
  if (interval === "hour") return ms + HOUR_MS;
  const wall = wallTime(ms, zone);
  if (interval === "day") wall.day += 1;
  if (interval === "week") wall.day += 7;
  if (interval === "month" || interval === "year") {
    const months = interval === "month" ? 1 : 12;
    const lastDay = new Date(Date.UTC(wall.year, wall.month + months + 1, 0)).getUTCDate();
    wall.month += months;
    wall.day = Math.min(wall.day, lastDay);
  }
  return fromWallTime(normalize(wall), zone);
}

function normalize(wall: WallTime): WallTime {
  const date = new Date(wallAsUtc(wall));
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth(),
    day: date.getUTCDate(),
    hour: date.getUTCHours(),
    minute: date.getUTCMinutes(),
    second: date.getUTCSeconds(),
    millisecond: date.getUTCMilliseconds(),
  };
}

/** The series points and the bucket each one counts. */
export function buckets(
  start: number,
  end: number,
  interval: TimeInterval,
  zone: string,
): { timestamp: number; from: number; to: number }[] {
  const points: { timestamp: number; from: number; to: number }[] = [];
  for (let point = start; point <= end; point = addInterval(point, interval, zone)) {
    const from = truncate(point, interval, zone);
    points.push({ timestamp: point, from, to: addInterval(from, interval, zone) });
  }
  return points;
}
