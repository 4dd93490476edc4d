/**
 * The tools over the Model Context Protocol: Streamable HTTP at `/mcp`, stateless (a server and a
 * transport per request, JSON answers), so any replica answers any call. Same API keys and
 * tenancy as `/v1`: the tenant comes from the key, and every run a call starts is the tenant's.
 * Tool failures are results with `isError` and the problem as text, so a model can correct itself;
 * no tool answers an approval.
 */

import { randomUUID } from "node:crypto";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type Tool as McpTool,
} from "@modelcontextprotocol/sdk/types.js";
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import { z } from "zod";
import type { Actor } from "../../lib/actor.ts";
import { problem } from "../../lib/errors.ts";
import { type FieldIssue, identifier, validate } from "../../lib/validation.ts";
import type { PolarForTenants } from "../../polar/gateway.ts";
import { invokeTool } from "../../tools/invoke.ts";
import { isInvalidParams, toolProblem } from "../../tools/problem.ts";
import { jsonSchemaOf, toolAnswerSchema, tools } from "../../tools/registry.ts";
import { isReadOnly, type ToolRuns } from "../../tools/types.ts";
import { sendProblem } from "../plugins/errors.ts";

export interface McpRoutesOptions {
  polar: PolarForTenants;
  skipApprovalTenants: ReadonlySet<string>;
  now?: () => Date;
}

/** `_meta` key of a `tools/call` that carries an idempotency key (as `Idempotency-Key` does). */
export const IDEMPOTENCY_META_KEY = "polar-flows/idempotency-key";

/**
 * A `tools/call`'s params, checked before the SDK sees them: the SDK would answer a bad one with
 * an internal error quoting its own validation. The key has REST's limits.
 */
const ToolCallParams = z.looseObject({
  name: z.string().min(1).max(100),
  arguments: z.record(z.string(), z.unknown()).optional(),
  _meta: z.looseObject({ [IDEMPOTENCY_META_KEY]: identifier(255).optional() }).optional(),
});

/**
 * Answers for a body holding a `tools/call` whose params do not fit: -32602 for it, and (in a
 * batch) for every other request too, which is not run. Empty: the SDK may take the body.
 */
function refusedCalls(body: unknown): object[] {
  const messages = (Array.isArray(body) ? body : [body]) as {
    method?: unknown;
    id?: unknown;
    params?: unknown;
  }[];
  const problems = messages.map((message) =>
    message?.method === "tools/call" ? validate(ToolCallParams, message.params, ["params"]) : null,
  );
  if (problems.every((checked) => checked === null || checked.success)) return [];
  return messages.flatMap((message, index) => {
    if (message?.id === undefined) return [];
    const checked = problems[index];
    const issues =
      checked && !checked.success
        ? checked.issues
        : [{ path: "", message: "not run: another call in this batch has invalid params" }];
    return [{ jsonrpc: "2.0", id: message.id, error: invalidParams(issues) }];
  });
}

function invalidParams(issues: FieldIssue[]) {
  return {
    code: ErrorCode.InvalidParams,
    message: `Invalid params: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ")}`,
    data: { errors: issues },
  };
}

const INSTRUCTIONS =
  "Billing operations on Polar. Read tools answer at once. Write tools and workflows start runs that wait for a person's approval (`pending_approval`): tell the user, do not call the tool again, and follow the run with get_run. Nothing here deletes, revokes or approves.";

const mcpTools: McpTool[] = tools.map((tool) => ({
  name: tool.name,
  description: tool.description,
  inputSchema: jsonSchemaOf(tool.input, "input") as McpTool["inputSchema"],
  outputSchema: jsonSchemaOf(toolAnswerSchema(tool.output), "output") as McpTool["outputSchema"],
  annotations: {
    readOnlyHint: isReadOnly(tool),
    // Nothing deletes or revokes; writes create, or schedule a reversible end.
    destructiveHint: false,
    idempotentHint: isReadOnly(tool),
  },
}));

function mcpServer(context: {
  actor: Actor;
  runs: ToolRuns;
  options: McpRoutesOptions;
  log: FastifyBaseLogger;
}): Server {
  const server = new Server(
    { name: "polar-flows", version: "0.1.0" },
    { capabilities: { tools: {} }, instructions: INSTRUCTIONS },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: mcpTools }));
  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const key = request.params._meta?.[IDEMPOTENCY_META_KEY] as string | undefined;
    try {
      const answer = await invokeTool(request.params.name, request.params.arguments ?? {}, {
        tenant: context.actor.tenant,
        polar: context.options.polar.forTenant(context.actor.tenant),
        runs: context.runs,
        skipApproval:
          context.actor.role === "approver" &&
          context.options.skipApprovalTenants.has(context.actor.tenant),
        ...(context.options.now ? { now: context.options.now } : {}),
        ...(key !== undefined ? { idempotencyKey: key } : {}),
      });
      return {
        content: [{ type: "text", text: JSON.stringify(answer) }],
        structuredContent: answer as unknown as Record<string, unknown>,
      };
    } catch (error) {
      if (isInvalidParams(error)) throw new McpError(ErrorCode.InvalidParams, error.message);
      const body = toolProblem(error);
      if (body) return { isError: true, content: [{ type: "text", text: JSON.stringify(body) }] };
      // Not ours to explain (a database, a library): the client gets an id the log has.
      const errorId = randomUUID();
      context.log.error({ err: error, error_id: errorId }, "MCP tool call failed");
      throw new McpError(ErrorCode.InternalError, `Internal error (error id ${errorId})`);
    }
  });
  return server;
}

export async function mcpRoutes(app: FastifyInstance, options: McpRoutesOptions) {
  app.post("/mcp", { schema: { hide: true } }, async (request, reply) => {
    const refused = refusedCalls(request.body);
    if (refused.length > 0) return reply.send(Array.isArray(request.body) ? refused : refused[0]);
    const server = mcpServer({
      actor: request.actor,
      runs: app.runService,
      options,
      log: request.log,
    });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    // The transport writes the answer itself: headers set so far (rate limits) go with it.
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) reply.raw.setHeader(name, value);
    }
    reply.hijack();
    reply.raw.on("close", () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(request.raw, reply.raw, request.body);
  });

  // Stateless: no server-initiated stream and no session to end.
  const notAllowed = async (_request: unknown, reply: import("fastify").FastifyReply) => {
    reply.header("allow", "POST");
    return sendProblem(
      reply,
      problem(405, "This MCP endpoint is stateless: send JSON-RPC requests with POST."),
    );
  };
  app.get("/mcp", { schema: { hide: true } }, notAllowed);
  app.delete("/mcp", { schema: { hide: true } }, notAllowed);
}
