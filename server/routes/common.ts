/** Schema pieces the routes share. */
import { Problem } from "../problem.ts";

/** Problem answers for the given statuses, for a route's `response` schema (and its docs). */
export function problems<const Codes extends readonly number[]>(
  ...codes: Codes
): { [Code in Codes[number]]: typeof Problem } {
  return Object.fromEntries(codes.map((code) => [code, Problem])) as {
    [Code in Codes[number]]: typeof Problem;
  };
}
