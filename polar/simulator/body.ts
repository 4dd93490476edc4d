import type { z } from "zod";
import { issue, type Loc, type ValidationIssue, validationError } from "./errors.ts";

const TYPE_NAMES: Record<string, [type: string, msg: string]> = {
  string: ["string_type", "Input should be a valid string"],
  number: ["float_type", "Input should be a valid number"],
  int: ["int_type", "Input should be a valid integer"],
  boolean: ["bool_type", "Input should be a valid boolean"],
  array: ["list_type", "Input should be a valid list"],
  object: ["model_type", "Input should be a valid dictionary or object to extract fields from"],
  record: ["dict_type", "Input should be a valid dictionary"],
};

/** Translates zod's issues into pydantic-style items of Polar's 422 body. */
export function toValidationIssues(error: z.ZodError, prefix: Loc): ValidationIssue[] {
  return error.issues.flatMap((zodIssue) => translate(zodIssue, prefix));
}

function translate(zodIssue: z.core.$ZodIssue, prefix: Loc): ValidationIssue[] {
  const loc: Loc = [
    ...prefix,
    ...zodIssue.path.map((part) => (typeof part === "symbol" ? String(part) : part)),
  ];
  const input = zodIssue.input;
  switch (zodIssue.code) {
    case "invalid_type": {
      if (input === undefined) return [issue.missing(loc)];
      const [type, msg] = TYPE_NAMES[zodIssue.expected] ?? ["value_error", zodIssue.message];
      return [{ type, loc, msg, input }];
    }
    case "too_big": {
      const limit = Number(zodIssue.maximum);
      if (zodIssue.origin === "string")
        return [
          {
            type: "string_too_long",
            loc,
            msg: `String should have at most ${limit} characters`,
            input,
            ctx: { max_length: limit },
          },
        ];
      if (
        zodIssue.origin === "array" ||
        zodIssue.origin === "object" ||
        zodIssue.origin === "record"
      )
        return [
          {
            type: "too_long",
            loc,
            msg: `${zodIssue.origin === "array" ? "List" : "Dictionary"} should have at most ${limit} items after validation`,
            input,
            ctx: { max_length: limit },
          },
        ];
      return zodIssue.inclusive
        ? [
            {
              type: "less_than_equal",
              loc,
              msg: `Input should be less than or equal to ${limit}`,
              input,
              ctx: { le: limit },
            },
          ]
        : [
            {
              type: "less_than",
              loc,
              msg: `Input should be less than ${limit}`,
              input,
              ctx: { lt: limit },
            },
          ];
    }
    case "too_small": {
      const limit = Number(zodIssue.minimum);
      if (zodIssue.origin === "string")
        return [
          {
            type: "string_too_short",
            loc,
            msg: `String should have at least ${limit} character${limit === 1 ? "" : "s"}`,
            input,
            ctx: { min_length: limit },
          },
        ];
      if (zodIssue.origin === "array")
        return [
          {
            type: "too_short",
            loc,
            msg: `List should have at least ${limit} item${limit === 1 ? "" : "s"} after validation`,
            input,
            ctx: { min_length: limit },
          },
        ];
      return zodIssue.inclusive
        ? [
            {
              type: "greater_than_equal",
              loc,
              msg: `Input should be greater than or equal to ${limit}`,
              input,
              ctx: { ge: limit },
            },
          ]
        : [
            {
              type: "greater_than",
              loc,
              msg: `Input should be greater than ${limit}`,
              input,
              ctx: { gt: limit },
            },
          ];
    }
    case "invalid_format": {
      if (zodIssue.format === "uuid") return [issue.uuid(loc, input)];
      if (zodIssue.format === "datetime")
        return [
          {
            type: "datetime_from_date_parsing",
            loc,
            msg: "Input should be a valid datetime or date",
            input,
          },
        ];
      if (zodIssue.format === "url")
        return [{ type: "url_parsing", loc, msg: "Input should be a valid URL", input }];
      return [issue.value(loc, zodIssue.message, input)];
    }
    case "invalid_value":
      return [issue.enumeration(loc, zodIssue.values.map(String), input)];
    case "unrecognized_keys":
      return zodIssue.keys.map((key) => ({
        type: "extra_forbidden",
        loc: [...loc, key],
        msg: "Extra inputs are not permitted",
        input: (input as Record<string, unknown> | undefined)?.[key],
      }));
    case "invalid_key":
      return zodIssue.issues.flatMap((inner) => translate(inner, [...loc, "[key]"]));
    case "invalid_element":
      return zodIssue.issues.flatMap((inner) => translate(inner, [...loc, String(zodIssue.key)]));
    case "invalid_union": {
      const branches = zodIssue.errors;
      if (branches.length === 0) return [issue.value(loc, zodIssue.message, input)];
      const closest = branches.reduce((best, branch) =>
        branch.length < best.length ? branch : best,
      );
      return closest.flatMap((inner) => translate(inner, loc));
    }
    case "custom": {
      const params = zodIssue.params as { type?: string } | undefined;
      return [{ type: params?.type ?? "value_error", loc, msg: zodIssue.message, input }];
    }
    default:
      return [issue.value(loc, zodIssue.message, input)];
  }
}

/** Validates a JSON body; on failure throws Polar's 422 with `loc` paths under `body`. */
export function parseBody<T extends z.ZodType>(
  schema: T,
  body: unknown,
  prefix: Loc = ["body"],
): z.output<T> {
  if (body === undefined || body === null) throw validationError([issue.missing(["body"], null)]);
  const result = schema.safeParse(body, { reportInput: true });
  if (!result.success) throw validationError(toValidationIssues(result.error, prefix));
  return result.data;
}
