/**
 * The tools over the Model Context Protocol: Streamable HTTP at `/mcp`, stateless (a server and a
 * transport per request, JSON answers), so any replica answers any call. Same API keys and
 * tenancy as `/v1`: the tenant comes from the key, and every run a call starts is the tenant's.
 * Tool failures are results with `isError` and the problem as text, so a model can correct itself;
 * no tool answers an approval.
 */
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
import type { FastifyInstance } from "fastify";
import type { Actor } from "../../lib/actor.ts";
import { problem } from "../../lib/errors.ts";
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

function mcpServer(context: { actor: Actor; runs: ToolRuns; options: McpRoutesOptions }): Server {
  const server = new Server(
    { name: "polar-flows", version: "0.1.0" },
    { capabilities: { tools: {} }, instructions: INSTRUCTIONS },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: mcpTools }));
  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const key = request.params._meta?.[IDEMPOTENCY_META_KEY];
    try {
      const answer = await invokeTool(request.params.name, request.params.arguments ?? {}, {
        tenant: context.actor.tenant,
        polar: context.options.polar.forTenant(context.actor.tenant),
        runs: context.runs,
        skipApproval:
          context.actor.role === "approver" &&
          context.options.skipApprovalTenants.has(context.actor.tenant),
        ...(context.options.now ? { now: context.options.now } : {}),
        ...(typeof key === "string" && key.length > 0 ? { idempotencyKey: key } : {}),
      });
      return {
        content: [{ type: "text", text: JSON.stringify(answer) }],
        structuredContent: answer as unknown as Record<string, unknown>,
      };
    } catch (error) {
      if (isInvalidParams(error)) throw new McpError(ErrorCode.InvalidParams, error.message);
      const body = toolProblem(error);
      if (!body) throw error;
      return { isError: true, content: [{ type: "text", text: JSON.stringify(body) }] };
    }
  });
  return server;
}

export async function mcpRoutes(app: FastifyInstance, options: McpRoutesOptions) {
  app.post("/mcp", { schema: { hide: true } }, async (request, reply) => {
    const server = mcpServer({ actor: request.actor, runs: app.runService, options });
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
