/**
 * Tools for agents over REST: `GET /tools` in the shape OpenAI / LangChain tool calling takes
 * (`{ name, description, parameters }`), `GET /tools/{name}` with the answer's schema, and
 * `POST /tools/{name}/invoke`. Arguments that do not fit a tool's schema are a 400 naming the
 * fields, and nothing reaches Polar; writes and workflows answer their run (202 while a person
 * must approve); a spent Polar budget is a 503 with `Retry-After`, never a wait.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { identifier } from "../../lib/validation.ts";
import type { PolarForTenants } from "../../polar/gateway.ts";
import { UnknownToolError } from "../../tools/errors.ts";
import { invokeTool } from "../../tools/invoke.ts";
import { toolProblem } from "../../tools/problem.ts";
import { getTool, jsonSchemaOf, toolAnswerSchema, toolListings } from "../../tools/registry.ts";
import type { ToolAnswer } from "../../tools/types.ts";
import { sendProblem } from "../plugins/errors.ts";
import { ProblemError } from "../problem.ts";
import { problems } from "./common.ts";
import { IdempotencyHeaders } from "./schemas.ts";

export interface ToolRoutesOptions {
  /** Polar for read tools: each tenant's gateway, failing fast when the budget is spent. */
  polar: PolarForTenants;
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
  idempotency_key: identifier(255)
    .optional()
    .describe("Repeat a write safely: the same key and arguments answer the first call's run."),
});

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
        operationId: "listTools",
        tags: ["tools"],
        summary: "List the tools",
        description:
          "Each tool as OpenAI / LangChain tool calling takes it: `{ name, description, parameters }`, `parameters` being the JSON Schema of its arguments.",
        response: { 200: z.object({ tools: z.array(ToolListing) }) },
      },
    },
    async () => ({ tools: listings }),
  );

  app.get(
    "/tools/:name",
    {
      schema: {
        operationId: "getTool",
        tags: ["tools"],
        summary: "One tool, with the schema of its answer",
        params: z.object({ name: z.string().min(1).max(100) }),
        response: { 200: ToolDetail, ...problems(400, 404) },
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
        operationId: "invokeTool",
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
          ...problems(400, 404, 409, 422, 500, 502, 503),
        },
      },
    },
    async (request, reply) => {
      const fromBody = request.body.idempotency_key;
      const fromHeader = request.headers["idempotency-key"];
      if (fromBody !== undefined && fromHeader !== undefined && fromBody !== fromHeader) {
        throw new ProblemError(
          "invalid_input",
          "Two different idempotency keys: give one, in the body or the header.",
          [{ path: "idempotency_key", message: "differs from the Idempotency-Key header" }],
        );
      }
      try {
        const answer = await invokeTool(request.params.name, request.body.arguments, {
          tenant: request.tenant,
          polar: options.polar.forTenant(request.tenant),
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
