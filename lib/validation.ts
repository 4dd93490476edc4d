/**
 * Turns zod errors into `{ path, message }` pairs that name the offending field — the shape of
 * `errors[]` in every problem+json answer and of the gateway's own validation errors.
 */
import { z } from "zod";
import { hasDeceptiveCharacters } from "./text.ts";

export interface FieldIssue {
  path: string;
  message: string;
}

type PathPart = PropertyKey;

/**
 * A name or id a caller gives (a customer's external id, a product name, a key): no
 * bidirectional controls or zero-width characters, which would let it read as something else
 * where a person approves it.
 */
export function identifier(maxLength: number) {
  return z
    .string()
    .min(1)
    .max(maxLength)
    .refine((value) => !hasDeceptiveCharacters(value), {
      message: "must not contain bidirectional control or zero-width characters",
    });
}

export function formatPath(parts: readonly PathPart[]): string {
  let path = "";
  for (const part of parts) {
    if (typeof part === "number") path += `[${part}]`;
    else path += path === "" ? String(part) : `.${String(part)}`;
  }
  return path;
}

/**
 * Parses with `reportInput`, which `fieldIssues` needs to tell a missing field from a wrong
 * one inside "exactly one of" unions.
 */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix: readonly PathPart[] = [],
): { success: true; data: z.output<S> } | { success: false; issues: FieldIssue[] } {
  const parsed = schema.safeParse(value, { reportInput: true });
  return parsed.success
    ? { success: true, data: parsed.data }
    : { success: false, issues: fieldIssues(parsed.error, prefix) };
}

export function fieldIssues(error: z.ZodError, prefix: readonly PathPart[] = []): FieldIssue[] {
  return error.issues.flatMap((issue) => describe(issue, prefix));
}

function describe(issue: z.core.$ZodIssue, prefix: readonly PathPart[]): FieldIssue[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    // A union of strict objects ("exactly one of …"): when a single branch fits the keys the
    // caller sent, its issues are the useful ones; otherwise the union's own message is.
    const fitting = issue.errors.filter(
      (branch) => !branch.some((inner) => inner.code === "unrecognized_keys"),
    );
    const onlyBranch = fitting.length === 1 ? fitting[0] : undefined;
    if (onlyBranch && !onlyBranch.every((inner) => isMissing(inner))) {
      return onlyBranch.flatMap((inner) => describe(inner, path));
    }
  }
  if (issue.code === "invalid_key" || issue.code === "invalid_element") {
    // "Invalid key in record" says less than the inner issue ("keys are at most 40 characters").
    return issue.issues.map((inner) => ({ path: formatPath(path), message: inner.message }));
  }
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({
      path: formatPath([...path, key]),
      message: "unknown field",
    }));
  }
  return [{ path: formatPath(path), message: issue.message }];
}

function isMissing(issue: z.core.$ZodIssue): boolean {
  return issue.code === "invalid_type" && issue.input === undefined;
}
