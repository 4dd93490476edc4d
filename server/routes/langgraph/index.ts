/**
 * The LangGraph API under `/langgraph` (docs/langgraph.md): the key from `Authorization: Bearer`
 * or `x-api-key`, the caller's budget as on `/v1`, then the routes by resource. Left out of the
 * OpenAPI document (docs/api.md): they follow LangGraph's API, which has its own reference and
 * client; their zod schemas still check every request and answer.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { LangGraphService } from "../../../langgraph/service.ts";
import { type AuthOptions, authPlugin } from "../../plugins/auth.ts";
import { callerBudgetPlugin } from "../../plugins/rate-limit.ts";
import { assistantRoutes } from "./assistants.ts";
import { infoRoutes } from "./info.ts";
import { runRoutes } from "./runs.ts";
import { threadRoutes } from "./threads.ts";

export interface LangGraphRoutesOptions extends Pick<AuthOptions, "apiKeys" | "failures"> {
  service: LangGraphService;
  keepAliveMs?: number;
}

/** LangGraph's server sends a newline every second during a wait. */
const KEEP_ALIVE_MS = 1_000;

/**
 * agent-inbox and agent-chat-ui call the API from the browser, from their own origin. Any origin
 * may: these routes take their key from a header only (never a cookie), so a page can act only
 * with a key its user gave it.
 */
const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers": "content-location, x-pagination-next, x-pagination-total",
};

/** Preflights, outside the key check (a browser sends them without one). */
export const langGraphPreflight: FastifyPluginAsyncZod = async (app) => {
  app.options("/*", { schema: { hide: true } }, async (_request, reply) =>
    reply
      .code(204)
      .headers({
        ...CORS_HEADERS,
        "access-control-allow-methods": "GET, POST",
        "access-control-allow-headers": "authorization, content-type, x-api-key, last-event-id",
        "access-control-max-age": "600",
      })
      .send(),
  );
};

export const langGraphRoutes: FastifyPluginAsyncZod<LangGraphRoutesOptions> = async (
  app,
  options,
) => {
  app.addHook("onRoute", (route) => {
    route.schema = { ...route.schema, hide: true };
  });
  // Before the key check, so that a 401 reaches the page too.
  app.addHook("onRequest", async (_request, reply) => {
    reply.headers(CORS_HEADERS);
  });
  await app.register(authPlugin, {
    apiKeys: options.apiKeys,
    ...(options.failures ? { failures: options.failures } : {}),
    apiKeyHeader: true,
  });
  await app.register(callerBudgetPlugin);
  const { service } = options;
  await app.register(infoRoutes);
  await app.register(assistantRoutes, { service });
  await app.register(threadRoutes, { service });
  await app.register(runRoutes, { service, keepAliveMs: options.keepAliveMs ?? KEEP_ALIVE_MS });
};
