import { issue, type ValidationIssue, validationError } from "./errors.ts";
import { UUID_PATTERN, UUID4_PATTERN } from "./ids.ts";

/** The query string as Fastify parses it: repeated keys become arrays. */
export type RawQuery = Record<string, string | string[] | undefined>;

const TRUE_WORDS = new Set(["true", "1", "yes", "on", "t", "y"]);
const FALSE_WORDS = new Set(["false", "0", "no", "off", "f", "n"]);
const ISO_DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

export const MAX_PAGE_SIZE = 100;

/** Parses an ISO 8601 date-time as Polar (pydantic) accepts it; `aware` tells whether it had an offset. */
export function parseDateTime(text: string): { ms: number; aware: boolean } | null {
  const match = ISO_DATETIME.exec(text.trim());
  if (!match) return null;
  const [, year, month, day, hour = "00", minute = "00", second = "00", fraction = "", zone] =
    match;
  const millis = fraction.slice(0, 3).padEnd(3, "0");
  const offset = zone === undefined || zone === "Z" || zone === "z" ? "Z" : normalizeOffset(zone);
  const ms = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${second}.${millis}${offset}`);
  if (Number.isNaN(ms)) return null;
  return { ms, aware: zone !== undefined };
}

function normalizeOffset(zone: string): string {
  const digits = zone.slice(1).replace(":", "");
  return `${zone[0]}${digits.slice(0, 2)}:${digits.slice(2, 4).padEnd(2, "0")}`;
}

/**
 * Reads query parameters the way Polar's FastAPI endpoints do, collecting every problem so the
 * answer is one 422 with all of them (`loc: ["query", name, index?]`).
 */
export class QueryReader {
  private readonly raw: RawQuery;
  private readonly issues: ValidationIssue[] = [];

  constructor(raw: RawQuery) {
    this.raw = raw;
  }

  private values(name: string): string[] | undefined {
    const value = this.raw[name];
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value : [value];
  }

  private loc(name: string, values: string[], index: number): (string | number)[] {
    return values.length > 1 ? ["query", name, index] : ["query", name];
  }

  fail(problem: ValidationIssue): void {
    this.issues.push(problem);
  }

  /** A scalar parameter: like FastAPI, the last of repeated values wins. */
  string(name: string, options: { required?: boolean } = {}): string | undefined {
    const values = this.values(name);
    if (values === undefined) {
      if (options.required) this.fail(issue.missing(["query", name]));
      return undefined;
    }
    return values[values.length - 1];
  }

  stringList(name: string): string[] | undefined {
    return this.values(name);
  }

  uuid(name: string): string | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    return this.checkUuid(value, ["query", name]) ? value.toLowerCase() : undefined;
  }

  uuidList(name: string): string[] | undefined {
    const values = this.values(name);
    if (values === undefined) return undefined;
    const valid = values.filter((value, index) =>
      this.checkUuid(value, this.loc(name, values, index)),
    );
    return valid.map((value) => value.toLowerCase());
  }

  private checkUuid(value: string, loc: (string | number)[]): boolean {
    if (!UUID_PATTERN.test(value)) {
      this.fail(issue.uuid(loc, value));
      return false;
    }
    if (!UUID4_PATTERN.test(value)) {
      this.fail(issue.uuidVersion(loc, value));
      return false;
    }
    return true;
  }

  bool(name: string): boolean | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const word = value.toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
    this.fail({
      type: "bool_parsing",
      loc: ["query", name],
      msg: "Input should be a valid boolean, unable to interpret input",
      input: value,
    });
    return undefined;
  }

  int(
    name: string,
    bounds: { greaterThan?: number; min?: number; max?: number } = {},
  ): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!/^\s*[+-]?\d+\s*$/.test(value)) {
      this.fail({
        type: "int_parsing",
        loc: ["query", name],
        msg: "Input should be a valid integer, unable to parse string as an integer",
        input: value,
      });
      return undefined;
    }
    const number = Number.parseInt(value, 10);
    const loc = ["query", name];
    if (bounds.greaterThan !== undefined && number <= bounds.greaterThan) {
      this.fail({
        type: "greater_than",
        loc,
        msg: `Input should be greater than ${bounds.greaterThan}`,
        input: value,
        ctx: { gt: bounds.greaterThan },
      });
      return undefined;
    }
    if (bounds.min !== undefined && number < bounds.min) {
      this.fail({
        type: "greater_than_equal",
        loc,
        msg: `Input should be greater than or equal to ${bounds.min}`,
        input: value,
        ctx: { ge: bounds.min },
      });
      return undefined;
    }
    if (bounds.max !== undefined && number > bounds.max) {
      this.fail({
        type: "less_than_equal",
        loc,
        msg: `Input should be less than or equal to ${bounds.max}`,
        input: value,
        ctx: { le: bounds.max },
      });
      return undefined;
    }
    return number;
  }

  enumValue<T extends string>(
    name: string,
    allowed: readonly T[],
    options: { required?: boolean } = {},
  ): T | undefined {
    const value = this.string(name, options);
    if (value === undefined) return undefined;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.fail(issue.enumeration(["query", name], allowed, value));
    return undefined;
  }

  enumList<T extends string>(name: string, allowed: readonly T[]): T[] | undefined {
    const values = this.values(name);
    if (values === undefined) return undefined;
    return values.filter((value, index) => {
      if ((allowed as readonly string[]).includes(value)) return true;
      this.fail(issue.enumeration(this.loc(name, values, index), allowed, value));
      return false;
    }) as T[];
  }

  /** A date-time as epoch milliseconds. */
  dateTime(
    name: string,
    options: { required?: boolean; aware?: boolean } = {},
  ): number | undefined {
    const value = this.string(name, options);
    if (value === undefined) return undefined;
    const parsed = parseDateTime(value);
    if (parsed === null) {
      this.fail({
        type: "datetime_from_date_parsing",
        loc: ["query", name],
        msg: "Input should be a valid datetime or date",
        input: value,
      });
      return undefined;
    }
    if (options.aware && !parsed.aware) {
      this.fail({
        type: "timezone_aware",
        loc: ["query", name],
        msg: "Input should have timezone info",
        input: value,
      });
      return undefined;
    }
    return parsed.ms;
  }

  /** `page` (> 0, default 1) and `limit` (> 0, default 10, above 100 clamped to 100 as Polar does). */
  pagination(): { page: number; limit: number } {
    const page = this.int("page", { greaterThan: 0 }) ?? 1;
    const limit = Math.min(this.int("limit", { greaterThan: 0 }) ?? 10, MAX_PAGE_SIZE);
    return { page, limit };
  }

  sorting<T extends string>(allowed: readonly T[], fallback: T[]): T[] {
    return this.enumList("sorting", allowed) ?? fallback;
  }

  /** `metadata[key]=value` filters (several values for one key match any of them). */
  metadata(): Record<string, string[]> | undefined {
    const filters: Record<string, string[]> = {};
    let any = false;
    for (const [key, value] of Object.entries(this.raw)) {
      const match = /^metadata\[(.+)\]$/.exec(key);
      if (!match || value === undefined) continue;
      filters[match[1]] = Array.isArray(value) ? value : [value];
      any = true;
    }
    return any ? filters : undefined;
  }

  /** Throws Polar's 422 when any parameter was invalid. */
  finish(): void {
    if (this.issues.length > 0) throw validationError(this.issues);
  }
}

/** Whether a stored metadata value matches one of the `metadata[key]` query values. */
export function metadataMatches(
  metadata: Record<string, unknown>,
  filters: Record<string, string[]> | undefined,
): boolean {
  if (filters === undefined) return true;
  return Object.entries(filters).every(([key, accepted]) => {
    const value = metadata[key];
    return value !== undefined && value !== null && accepted.includes(String(value));
  });
}
