/**
 * The REST API under /v1 as a Fastify instance: cross-cutting plugins (errors, OpenAPI,
 * runs, auth), then routes by resource. Not listening: `main.ts` and the tests call `listen`.
 */
import { randomUUID } from "node:crypto";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import Fastify, { type FastifyBaseLogger } from "fastify";
import { serializerCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import { createChatModel } from "../llm/model.ts";
import type { PolarGateway } from "../polar/gateway.ts";
import { RunService } from "../runs/service.ts";
import type { Storage } from "../storage/index.ts";
import type { Config } from "./config.ts";
import { createLogger } from "./logger.ts";
import { authPlugin } from "./plugins/auth.ts";
import {
  BODY_LIMIT_BYTES,
  errorsPlugin,
  frameworkErrorHandler,
  validatorCompiler,
} from "./plugins/errors.ts";
import { noticeSenderFor, noticesPlugin } from "./plugins/notices.ts";
import { openapiPlugin } from "./plugins/openapi.ts";
import { callerBudgetPlugin, callerRateLimitPlugin } from "./plugins/rate-limit.ts";
import { runsPlugin } from "./plugins/runs.ts";
import { auditRoutes } from "./routes/audit.ts";
import { checkpointRoutes } from "./routes/checkpoints.ts";
import { eventRoutes } from "./routes/events.ts";
import { healthRoutes } from "./routes/health.ts";
import { mcpRoutes } from "./routes/mcp.ts";
import { requestRoutes } from "./routes/requests.ts";
import { runRoutes } from "./routes/runs.ts";
import { toolRoutes } from "./routes/tools.ts";
import { whoamiRoutes } from "./routes/whoami.ts";
import { workflowRoutes } from "./routes/workflows.ts";

export interface AppOptions {
  config: Config;
  storage: Storage;
  polar: PolarGateway;
  logger?: FastifyBaseLogger;
  /** The chat model nodes may use; default: the one `config.openai` names (none when unset). */
  model?: BaseChatModel | null;
  /** The clock usage windows are measured against (tests). */
  now?: () => Date;
  /** Keep-alive comments on idle event streams. */
  eventKeepAliveMs?: number;
  /** Notice retry waits and outbox polling (tests). */
  notices?: { retryDelaysMs?: number[]; pollMs?: number };
}

/** A read tool waits at most this long for Polar's budget; beyond it, it answers the wait. */
const READ_TOOL_MAX_WAIT_MS = 2_000;

export async function buildApp(options: AppOptions) {
  const { config, storage } = options;
  const app = Fastify({
    loggerInstance: options.logger ?? createLogger({ level: config.logLevel }),
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: () => randomUUID(),
    frameworkErrors: frameworkErrorHandler,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(errorsPlugin);
  await app.register(openapiPlugin, {
    bearerAuth: config.apiKeys !== null,
    publicUrl: config.publicUrl,
  });
  const model = options.model !== undefined ? options.model : createChatModel(config.openai);
  const notices = noticeSenderFor(config, storage, app.log, options.notices);
  const service = new RunService({
    storage,
    deps: {
      polar: options.polar,
      model,
      ...(options.now ? { now: options.now } : {}),
    },
    logger: app.log,
    waitMs: config.runs.waitSeconds * 1000,
    concurrency: config.runs.concurrency,
    queue: config.queue,
    checkpointRetentionMs: config.checkpointRetentionDays * 86_400_000,
    ...(notices ? { onSettled: (record) => notices.runSettled(record) } : {}),
  });
  await app.register(runsPlugin, { service, shutdownGraceMs: config.shutdownGraceSeconds * 1000 });
  await app.register(noticesPlugin, { sender: notices });

  await app.register(healthRoutes, { ping: () => storage.ping() });
  await app.register(callerRateLimitPlugin, {
    requestsPerMinute: config.apiRateLimit,
    perTenant: config.apiKeys !== null,
  });
  const tooling = {
    polar: options.polar.impatient(READ_TOOL_MAX_WAIT_MS),
    skipApprovalTenants: config.tools.skipApprovalTenants,
    ...(options.now ? { now: options.now } : {}),
  };
  await app.register(
    async (v1) => {
      await v1.register(authPlugin, { apiKeys: config.apiKeys });
      await v1.register(callerBudgetPlugin);
      await v1.register(workflowRoutes);
      await v1.register(requestRoutes, { polar: options.polar, model });
      await v1.register(runRoutes);
      await v1.register(checkpointRoutes);
      await v1.register(auditRoutes);
      await v1.register(eventRoutes, { keepAliveMs: options.eventKeepAliveMs });
      await v1.register(toolRoutes, tooling);
      await v1.register(whoamiRoutes);
    },
    { prefix: "/v1" },
  );
  // MCP: the same tools, keys, tenancy and budget as /v1.
  await app.register(async (mcp) => {
    await mcp.register(authPlugin, { apiKeys: config.apiKeys });
    await mcp.register(callerBudgetPlugin);
    await mcp.register(mcpRoutes, tooling);
  });
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
