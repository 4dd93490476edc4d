import type { FastifyRequest } from "fastify";
import { issue, validationError } from "../errors.ts";
import { UUID_PATTERN, UUID4_PATTERN } from "../ids.ts";
import type { RawQuery } from "../query.ts";
import type { SimulatorStore } from "../store.ts";

export interface RouteContext {
  store: SimulatorStore;
}

export function rawQuery(request: FastifyRequest): RawQuery {
  return request.query as RawQuery;
}

export function pathParam(request: FastifyRequest, name: string): string {
  return (request.params as Record<string, string>)[name];
}

/** A UUID4 path parameter, or Polar's 422 (`loc: ["path", name]`). */
export function pathUuid(request: FastifyRequest, name = "id"): string {
  const value = pathParam(request, name);
  if (!UUID_PATTERN.test(value)) throw validationError([issue.uuid(["path", name], value)]);
  if (!UUID4_PATTERN.test(value)) throw validationError([issue.uuidVersion(["path", name], value)]);
  return value.toLowerCase();
}

/** `{ items, pagination: { total_count, max_page } }` for one page. */
export function paginate<T>(items: readonly T[], page: number, limit: number) {
  return {
    items: items.slice((page - 1) * limit, page * limit),
    pagination: { total_count: items.length, max_page: Math.ceil(items.length / limit) },
  };
}

type SortValue = string | number | boolean | null;

/**
 * Sorts by Polar's `sorting` criteria (`name` ascending, `-name` descending, several applied in
 * order). Like PostgreSQL, nulls come last ascending and first descending.
 */
export function sortRecords<T>(
  records: readonly T[],
  sorting: readonly string[],
  keys: Record<string, (record: T) => SortValue>,
): T[] {
  const criteria = sorting.map((criterion) => {
    const descending = criterion.startsWith("-");
    return { key: keys[descending ? criterion.slice(1) : criterion], descending };
  });
  return [...records].sort((a, b) => {
    for (const { key, descending } of criteria) {
      const left = key(a);
      const right = key(b);
      if (left === right) continue;
      const order = left === null ? 1 : right === null ? -1 : left < right ? -1 : 1;
      return descending ? -order : order;
    }
    return 0;
  });
}

/** Case-insensitive substring match, like `ILIKE '%query%'`. */
export function contains(value: string | null | undefined, query: string): boolean {
  return value?.toLowerCase().includes(query.toLowerCase()) ?? false;
}

/** The organization filter every list accepts: only the simulated organization exists. */
export function inOrganization(
  store: SimulatorStore,
  organizationIds: string[] | undefined,
): boolean {
  return organizationIds === undefined || organizationIds.includes(store.organization.id);
}

export function publicUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}
