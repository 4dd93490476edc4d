/** Schema pieces the routes share. */
import { STATUS_CODES } from "node:http";
import type { RouteOptions } from "fastify";
import { PROBLEM_CONTENT_TYPE, ProblemSchema } from "../problem.ts";

interface ProblemAnswer {
  description: string;
  content: { [PROBLEM_CONTENT_TYPE]: { schema: typeof ProblemSchema } };
}

/**
 * Problem answers for the given statuses, for a route's `response` schema (and its docs), as
 * they are sent: `application/problem+json`.
 */
export function problems<const Codes extends readonly number[]>(
  ...codes: Codes
): { [Code in Codes[number]]: ProblemAnswer } {
  return Object.fromEntries(
    codes.map((code) => [
      code,
      {
        description: STATUS_CODES[code] ?? "Error",
        content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
      },
    ]),
  ) as { [Code in Codes[number]]: ProblemAnswer };
}

/**
 * For `onRoute` hooks of plugins that answer on a route's behalf (auth, budgets): adds their
 * problem answers to the route's schema; what the route declares itself stays.
 */
export function addProblemAnswers(route: RouteOptions, ...codes: number[]): void {
  const own = (route.schema?.response ?? {}) as Record<string, unknown>;
  route.schema = { ...route.schema, response: { ...problems(...codes), ...own } };
}
