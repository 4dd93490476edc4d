/**
 * Tools for agents over REST: `GET /tools` in the shape OpenAI / LangChain tool calling takes
 * (`{ name, description, parameters }`), `GET /tools/{name}` with the answer's schema, and
 * `POST /tools/{name}/invoke`. Arguments that do not fit a tool's schema are a 400 naming the
 * fields, and nothing reaches Polar; writes and workflows answer their run (202 while a person
 * must approve); a spent Polar budget is a 503 with `Retry-After`, never a wait.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { PolarGatewayError } from "../../polar/errors.ts";
import type { PolarGateway } from "../../polar/gateway.ts";
import {
  ToolArgumentsError,
  ToolRefusedError,
  ToolRunFailedError,
  UnknownToolError,
} from "../../tools/errors.ts";
import { invokeTool } from "../../tools/invoke.ts";
import { getTool, jsonSchemaOf, toolAnswerSchema, toolListings } from "../../tools/registry.ts";
import type { ToolAnswer } from "../../tools/types.ts";
import { sendProblem } from "../plugins/errors.ts";
import {
  invalid,
  PROBLEM_TYPES,
  type Problem,
  ProblemError,
  polarProblem,
  problem,
} from "../problem.ts";
import { IdempotencyHeaders } from "../runs/schemas.ts";
import { problems } from "./common.ts";

export interface ToolRoutesOptions {
  /** Polar for read tools: the service's gateway, failing fast when the budget is spent. */
  polar: PolarGateway;
  /** Tenants whose keys may write without a person's approval. */
  skipApprovalTenants: ReadonlySet<string>;
  /** The clock usage windows are measured against (tests). */
  now?: () => Date;
}

const JsonSchema = z.record(z.string(), z.unknown());

const ToolListing = z
  .object({
    name: z.string(),
    description: z.string(),
    parameters: JsonSchema.describe("JSON Schema of `arguments`."),
  })
  .meta({ id: "ToolListing" });

const ToolDetail = ToolListing.extend({
  kind: z.enum(["read", "write", "workflow"]),
  answer_schema: JsonSchema.describe("JSON Schema of what `invoke` answers (2xx)."),
});

const ToolAnswerBody = toolAnswerSchema(z.unknown()).meta({ id: "ToolAnswer" });

const InvokeBody = z.strictObject({
  arguments: z
    .record(z.string(), z.unknown())
    .default({})
    .describe("The tool's arguments; their JSON Schema is the tool's `parameters`."),
  idempotency_key: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe("Repeat a write safely: the same key and arguments answer the first call's run."),
});

/** A problem with the members an agent needs to decide what to do next (RFC 9457 extensions). */
export type ToolProblem = Problem & {
  code?: string;
  retryable?: boolean;
  retry_after?: number;
  run_id?: string;
};

/** How a failed tool call reads as a problem, over REST and MCP alike; null: not a tool failure. */
export function toolProblem(error: unknown): ToolProblem | null {
  // The run service's own: unknown run (404), key in flight (409), key reused (422).
  if (error instanceof ProblemError) return error.toProblem();
  if (error instanceof UnknownToolError) return problem(404, error.message);
  if (error instanceof ToolArgumentsError) {
    return problem(400, error.message, {
      type: PROBLEM_TYPES.validation,
      title: "Invalid arguments",
      errors: error.issues,
    });
  }
  if (error instanceof ToolRefusedError) {
    return {
      ...problem(422, error.message, { type: PROBLEM_TYPES.toolRefused, errors: error.issues }),
      retryable: false,
    };
  }
  if (error instanceof PolarGatewayError) {
    const body = polarProblem(error);
    if (error.code !== "invalid_request") return body;
    return {
      ...body,
      title: "Invalid arguments",
      errors: body.errors?.map((issue) => ({ ...issue, path: `arguments.${issue.path}` })),
    };
  }
  if (error instanceof ToolRunFailedError) {
    const { run } = error;
    const failure = run.error;
    const status =
      failure?.code === "polar_rate_limited" || failure?.code === "polar_unavailable"
        ? 503
        : failure?.code === "polar_rejected" || failure?.code === "polar_invalid_response"
          ? 502
          : failure?.code === "invalid_input"
            ? 422
            : 500;
    return {
      ...problem(status, error.message, { type: PROBLEM_TYPES.runFailed, title: "The run failed" }),
      ...(failure ? { code: failure.code, retryable: failure.retryable } : {}),
      run_id: run.run_id,
    };
  }
  return null;
}

/** 200 when the call is done, 202 while its run goes on or waits for a person. */
export function answerStatus(answer: ToolAnswer): 200 | 202 {
  return answer.status === "completed" || answer.status === "cancelled" ? 200 : 202;
}

export const toolRoutes: FastifyPluginAsyncZod<ToolRoutesOptions> = async (app, options) => {
  const listings = toolListings();

  app.get(
    "/tools",
    {
      schema: {
        tags: ["tools"],
        summary: "List the tools",
        description:
          "Each tool as OpenAI / LangChain tool calling takes it: `{ name, description, parameters }`, `parameters` being the JSON Schema of its arguments.",
        response: { 200: z.object({ tools: z.array(ToolListing) }), ...problems(401, 429) },
      },
    },
    async () => ({ tools: listings }),
  );

  app.get(
    "/tools/:name",
    {
      schema: {
        tags: ["tools"],
        summary: "One tool, with the schema of its answer",
        params: z.object({ name: z.string().min(1).max(100) }),
        response: { 200: ToolDetail, ...problems(401, 404, 429) },
      },
    },
    async (request, reply) => {
      const tool = getTool(request.params.name);
      if (!tool) return sendProblem(reply, toolProblem(new UnknownToolError(request.params.name))!);
      return {
        name: tool.name,
        description: tool.description,
        kind: tool.kind,
        parameters: jsonSchemaOf(tool.input, "input"),
        answer_schema: jsonSchemaOf(toolAnswerSchema(tool.output), "output"),
      };
    },
  );

  app.post(
    "/tools/:name/invoke",
    {
      schema: {
        tags: ["tools"],
        summary: "Call a tool",
        description:
          'Checks `arguments` against the tool\'s schema (400 naming the fields; nothing reaches Polar). Reads answer at once. Writes and workflows run as runs of your tenant: 200 with the result, or 202 `{ status: "pending_approval", run }` while a person must approve (no tool approves). A spent Polar budget is a 503 with `Retry-After`.',
        params: z.object({ name: z.string().min(1).max(100) }),
        headers: IdempotencyHeaders,
        body: InvokeBody,
        response: {
          200: ToolAnswerBody,
          202: ToolAnswerBody.describe("The run goes on, or waits for a person."),
          ...problems(400, 401, 404, 409, 422, 429, 500, 502, 503),
        },
      },
    },
    async (request, reply) => {
      const fromBody = request.body.idempotency_key;
      const fromHeader = request.headers["idempotency-key"];
      if (fromBody !== undefined && fromHeader !== undefined && fromBody !== fromHeader) {
        throw invalid("Two different idempotency keys: give one, in the body or the header.", [
          { path: "idempotency_key", message: "differs from the Idempotency-Key header" },
        ]);
      }
      try {
        const answer = await invokeTool(request.params.name, request.body.arguments, {
          tenant: request.tenant,
          polar: options.polar,
          runs: app.runService,
          skipApproval:
            request.actor.role === "approver" && options.skipApprovalTenants.has(request.tenant),
          ...(options.now ? { now: options.now } : {}),
          ...((fromBody ?? fromHeader) !== undefined
            ? { idempotencyKey: (fromBody ?? fromHeader)! }
            : {}),
        });
        return reply.code(answerStatus(answer)).send(answer);
      } catch (error) {
        const body = toolProblem(error);
        if (!body) throw error;
        return sendProblem(reply, body);
      }
    },
  );
};
