/** Polar's error bodies, and the exception that carries one out of a route handler. */

export type Loc = (string | number)[];

/** One item of a 422 body (`ValidationError` in Polar's spec). */
export interface ValidationIssue {
  loc: Loc;
  msg: string;
  type: string;
  input?: unknown;
  ctx?: Record<string, unknown>;
}

export class PolarHttpError extends Error {
  readonly statusCode: number;
  readonly body: unknown;
  readonly headers: Record<string, string>;

  constructor(statusCode: number, body: unknown, headers: Record<string, string> = {}) {
    super(`Polar simulator error ${statusCode}`);
    this.statusCode = statusCode;
    this.body = body;
    this.headers = headers;
  }
}

export function validationError(issues: ValidationIssue[]): PolarHttpError {
  return new PolarHttpError(422, { error: "RequestValidationError", detail: issues });
}

export function notFound(): PolarHttpError {
  return new PolarHttpError(404, { error: "ResourceNotFound", detail: "Not found" });
}

export function alreadyCanceledSubscription(): PolarHttpError {
  return new PolarHttpError(403, {
    error: "AlreadyCanceledSubscription",
    detail: "This subscription is already canceled or will be at the end of the period.",
  });
}

export function badRequest(): PolarHttpError {
  return new PolarHttpError(400, { error: "BadRequest", detail: "Bad request" });
}

export function missingToken(): PolarHttpError {
  return new PolarHttpError(401, { error: "Unauthorized", detail: "Unauthorized" });
}

const INVALID_TOKEN_DESCRIPTION =
  "The access token provided is expired, revoked, malformed, or invalid for other reasons.";

export function invalidToken(): PolarHttpError {
  return new PolarHttpError(
    401,
    { error: "invalid_token", error_description: INVALID_TOKEN_DESCRIPTION },
    {
      "www-authenticate": `Bearer realm="polar", error="invalid_token", error_description="${INVALID_TOKEN_DESCRIPTION}"`,
    },
  );
}

export const issue = {
  missing(loc: Loc, input?: unknown): ValidationIssue {
    return { type: "missing", loc, msg: "Field required", input };
  },
  uuid(loc: Loc, input: unknown): ValidationIssue {
    return { type: "uuid_parsing", loc, msg: "Input should be a valid UUID", input };
  },
  uuidVersion(loc: Loc, input: unknown): ValidationIssue {
    return {
      type: "uuid_version",
      loc,
      msg: "UUID version 4 expected",
      input,
      ctx: { expected_version: 4 },
    };
  },
  value(loc: Loc, msg: string, input?: unknown): ValidationIssue {
    return { type: "value_error", loc, msg, input };
  },
  enumeration(loc: Loc, allowed: readonly string[], input: unknown): ValidationIssue {
    const expected =
      allowed.length === 1
        ? `'${allowed[0]}'`
        : `${allowed
            .slice(0, -1)
            .map((value) => `'${value}'`)
            .join(", ")} or '${allowed[allowed.length - 1]}'`;
    return {
      type: "enum",
      loc,
      msg: `Input should be ${expected}`,
      input,
      ctx: { expected },
    };
  },
};
