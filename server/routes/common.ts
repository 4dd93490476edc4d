/** Schema pieces the routes share. */
import { ProblemSchema } from "../problem.ts";

/** Problem answers for the given statuses, for a route's `response` schema (and its docs). */
export function problems<const Codes extends readonly number[]>(
  ...codes: Codes
): { [Code in Codes[number]]: typeof ProblemSchema } {
  return Object.fromEntries(codes.map((code) => [code, ProblemSchema])) as {
    [Code in Codes[number]]: typeof ProblemSchema;
  };
}
