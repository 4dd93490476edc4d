/**
 * Every error answer is RFC 9457 `application/problem+json`: unknown routes, malformed and
 * invalid requests (4xx, naming the fields at fault) and our own failures (500, with nothing
 * internal in the body). A malformed request never reaches a handler, so it never becomes a 5xx.
 */
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchemaCompiler,
} from "fastify";
import fp from "fastify-plugin";
import type { z } from "zod";
import { DomainError, type Problem, polarProblem, problem, problemFor } from "../../lib/errors.ts";
import { type FieldIssue, fieldIssues } from "../../lib/validation.ts";
import { PolarGatewayError } from "../../polar/errors.ts";
import { isStoreUnavailable } from "../../storage/index.ts";
import { PROBLEM_CONTENT_TYPE, ProblemError } from "../problem.ts";

/** Seconds a caller is told to wait while the store does not answer. */
const STORE_RETRY_AFTER_SECONDS = 2;

import { ApproverRequiredError } from "../../lib/actor.ts";

export const BODY_LIMIT_BYTES = 64 * 1024;
/** JSON nesting allowed in bodies; deeper is a 400, not a stack overflow later on. */
const MAX_JSON_DEPTH = 32;

/** A request part (body, query, params, headers) that does not fit its zod schema. */
export class RequestValidationError extends Error {
  readonly statusCode = 400;
  readonly zodError: z.ZodError;
  /** Set by Fastify: which part of the request failed. */
  validationContext?: string;

  constructor(zodError: z.ZodError) {
    super("request validation failed");
    this.name = "RequestValidationError";
    this.zodError = zodError;
  }
}

/** Validates request parts with their zod schemas and keeps the zod error for `errors[]`. */
export const validatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema }) =>
  (data) => {
    const result = schema.safeParse(data, { reportInput: true });
    return result.success
      ? { value: result.data }
      : { error: new RequestValidationError(result.error) };
  };

/** Body paths stay as they are (`input.customer.id`); other parts are named (`query.limit`). */
const PART_PREFIX: Record<string, string> = {
  body: "",
  querystring: "query",
  params: "params",
  headers: "headers",
};

const PART_NAME: Record<string, string> = {
  body: "request body",
  querystring: "query string",
  params: "path",
  headers: "headers",
};

function validationProblem(error: RequestValidationError): Problem {
  const context = error.validationContext ?? "body";
  const prefix = PART_PREFIX[context] ?? context;
  const errors: FieldIssue[] = fieldIssues(error.zodError, prefix ? [prefix] : []).map((issue) => ({
    path: issue.path === "" ? prefix || "body" : issue.path,
    message: issue.message,
  }));
  return problemFor("invalid_input", `The ${PART_NAME[context] ?? context} is not valid.`, {
    errors,
  });
}

/** Plain words for Fastify's own client errors. */
const FRAMEWORK_DETAILS: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: `The request body is larger than ${BODY_LIMIT_BYTES / 1024} KiB.`,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "Send the body as JSON, with `Content-Type: application/json`.",
  FST_ERR_CTP_EMPTY_JSON_BODY: "The body is empty but the Content-Type says JSON.",
  FST_ERR_CTP_INVALID_JSON_BODY: "The body is not valid JSON.",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "The Content-Length does not match the body.",
  FST_ERR_BAD_URL: "The URL is malformed.",
  FST_ERR_MAX_PARAM_LENGTH: "A path parameter is too long.",
};

export function toProblem(
  error: unknown,
  request: FastifyRequest,
): Problem & { retry_after?: number } {
  if (error instanceof ProblemError) return error.problem;
  if (error instanceof DomainError) {
    return problemFor(error.code, error.message, { errors: error.issues });
  }
  if (error instanceof ApproverRequiredError) return problemFor("approver_required", error.message);
  if (error instanceof PolarGatewayError) return polarProblem(error);
  if (error instanceof RequestValidationError) return validationProblem(error);
  if (isStoreUnavailable(error)) {
    // The database went away during the request: nothing was half-written; a restart takes a
    // few seconds.
    return {
      ...problemFor(
        "store_unavailable",
        "The store does not answer (a database restart or failover); try again.",
      ),
      retry_after: STORE_RETRY_AFTER_SECONDS,
    };
  }
  const fastifyError = error as Partial<FastifyError>;
  const status = fastifyError.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    const detail =
      (fastifyError.code && FRAMEWORK_DETAILS[fastifyError.code]) ??
      (typeof fastifyError.message === "string"
        ? fastifyError.message
        : "The request is not valid.");
    return problem(status, detail);
  }
  return problem(
    500,
    `Something went wrong on our side (request ${request.id}); it has been logged.`,
  );
}

export function sendProblem(
  reply: FastifyReply,
  body: Problem & { retry_after?: number },
): FastifyReply {
  if (body.retry_after !== undefined) reply.header("retry-after", String(body.retry_after));
  // A string payload skips the route's response serializer: the problem is sent as built.
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

/** Strings every store accepts: no NUL (PostgreSQL rejects it) and no lone surrogates. */
function jsonValueProblem(value: unknown): string | null {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (typeof current === "string") {
      if (current.includes("\u0000") || !current.isWellFormed()) {
        return "Strings must not contain NUL characters or unpaired surrogates.";
      }
      continue;
    }
    if (typeof current !== "object" || current === null) continue;
    if (depth >= MAX_JSON_DEPTH) return `The body is nested deeper than ${MAX_JSON_DEPTH} levels.`;
    for (const [key, child] of Object.entries(current)) {
      stack.push({ value: key, depth: depth + 1 }, { value: child, depth: depth + 1 });
    }
  }
  return null;
}

async function errors(app: FastifyInstance) {
  // JSON only (text/plain bodies get 415), parsed safely, and checked for what no store accepts.
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    parseJson(request, body as string, (error, value) => {
      if (error) return done(error, undefined);
      const issue = jsonValueProblem(value);
      if (issue) return done(new ProblemError(400, issue), undefined);
      done(null, value);
    });
  });

  app.setErrorHandler((error, request, reply) => {
    const body = toProblem(error, request);
    if (body.status === 503 && isStoreUnavailable(error)) {
      request.log.warn({ code: (error as { code?: string }).code }, "request failed: store away");
    } else if (body.status >= 500) request.log.error({ err: error }, "request failed");
    return sendProblem(reply, body);
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problem(404, `There is no ${request.method} ${request.url.split("?")[0]}.`)),
  );
}

export const errorsPlugin = fp(errors, { name: "errors" });

/** For Fastify's `frameworkErrors` option: bad URLs and the like, before any route runs. */
export function frameworkErrorHandler(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  sendProblem(reply, toProblem(error, request));
}
