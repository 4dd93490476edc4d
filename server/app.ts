/**
 * The REST API under /v1 as a Fastify instance: cross-cutting plugins (errors, OpenAPI,
 * runs, auth), then routes by resource. Not listening: `main.ts` and the tests call `listen`.
 */
import { randomUUID } from "node:crypto";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import Fastify, { type FastifyBaseLogger } from "fastify";
import { serializerCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import { LangGraphService } from "../langgraph/service.ts";
import { createChatModel } from "../llm/model.ts";
import type { PolarForTenants } from "../polar/gateway.ts";
import { RunService } from "../runs/service.ts";
import type { Storage } from "../storage/index.ts";
import { runServiceWithRemediations } from "../triggers/remediations.ts";
import { SweepScheduler } from "../triggers/scheduler.ts";
import { WatchService } from "../triggers/watches.ts";
import { WebhookReceiver } from "../triggers/webhooks.ts";
import type { Config } from "./config.ts";
import { createLogger } from "./logger.ts";
import { authPlugin } from "./plugins/auth.ts";
import { consoleSessionPlugin } from "./plugins/console-session.ts";
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
import { triggersPlugin } from "./plugins/triggers.ts";
import { auditRoutes } from "./routes/audit.ts";
import { checkpointRoutes } from "./routes/checkpoints.ts";
import { consoleRoutes } from "./routes/console.ts";
import { eventRoutes } from "./routes/events.ts";
import { healthRoutes } from "./routes/health.ts";
import { langGraphPreflight, langGraphRoutes } from "./routes/langgraph/index.ts";
import { mcpRoutes } from "./routes/mcp.ts";
import { requestRoutes } from "./routes/requests.ts";
import { runRoutes } from "./routes/runs.ts";
import { toolRoutes } from "./routes/tools.ts";
import { watchRoutes } from "./routes/watches.ts";
import { polarWebhookRoutes, webhookDeliveryRoutes } from "./routes/webhooks.ts";
import { whoamiRoutes } from "./routes/whoami.ts";
import { workflowRoutes } from "./routes/workflows.ts";
import { SignInFailures } from "./sign-in-failures.ts";

export interface AppOptions {
  config: Config;
  storage: Storage;
  /** Each tenant's Polar (`TenantGateways`), or one gateway for every tenant. */
  polar: PolarForTenants;
  logger?: FastifyBaseLogger;
  /** The chat model nodes may use; default: the one `config.openai` names (none when unset). */
  model?: BaseChatModel | null;
  /** The clock usage windows are measured against (tests). */
  now?: () => Date;
  /** Keep-alive comments on idle event streams. */
  eventKeepAliveMs?: number;
  /** Notice retry waits and outbox polling (tests). */
  notices?: { retryDelaysMs?: number[]; pollMs?: number };
  /** How often this replica looks for due scheduled sweeps (default 5 s; tests: less). */
  sweepPollMs?: number;
}

const SWEEP_POLL_MS = 5_000;

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
  const { service, ledger } = runServiceWithRemediations(
    storage,
    (remediations) =>
      new RunService({
        storage,
        deps: {
          polar: options.polar,
          model,
          remediations,
          ...(options.now ? { now: options.now } : {}),
        },
        logger: app.log,
        waitMs: config.runs.waitSeconds * 1000,
        concurrency: config.runs.concurrency,
        queue: config.queue,
        checkpointRetentionMs: config.checkpointRetentionDays * 86_400_000,
        ...(notices ? { onSettled: (record) => notices.runSettled(record) } : {}),
      }),
  );
  await app.register(runsPlugin, { service, shutdownGraceMs: config.shutdownGraceSeconds * 1000 });
  await app.register(noticesPlugin, { sender: notices });
  const watches = new WatchService({
    watches: storage.watches,
    runs: storage.runs,
    polar: options.polar,
    service,
    ...(options.now ? { now: options.now } : {}),
  });
  const scheduler = new SweepScheduler({
    watches: storage.watches,
    service: watches,
    log: app.log,
    pollMs: options.sweepPollMs ?? SWEEP_POLL_MS,
    ...(options.now ? { now: options.now } : {}),
  });
  await app.register(triggersPlugin, { watches, scheduler });
  const receiver = config.webhooks.secret
    ? new WebhookReceiver({
        secret: config.webhooks.secret,
        tenant: config.webhooks.tenant,
        deliveries: storage.webhooks,
        watches: storage.watches,
        ledger,
      })
    : null;

  await app.register(healthRoutes, { ping: () => storage.ping() });
  await app.register(callerRateLimitPlugin, {
    requestsPerMinute: config.apiRateLimit,
    perTenant: config.apiKeys !== null,
  });
  await app.register(consoleSessionPlugin, {
    apiKeys: config.apiKeys,
    publicUrl: config.publicUrl,
  });
  await app.register(consoleRoutes, { apiKeys: config.apiKeys });
  // One count of failed sign-ins per address across /v1 and /mcp.
  const failures = config.apiKeys ? new SignInFailures(config.signInFailuresPerMinute) : undefined;
  const signIn = { apiKeys: config.apiKeys, ...(failures ? { failures } : {}) };
  const tooling = {
    polar: {
      forTenant: (tenant: string) =>
        options.polar.forTenant(tenant).impatient(READ_TOOL_MAX_WAIT_MS),
    },
    skipApprovalTenants: config.tools.skipApprovalTenants,
    ...(options.now ? { now: options.now } : {}),
  };
  await app.register(
    async (v1) => {
      await v1.register(authPlugin, {
        ...signIn,
        session: (request) => app.consoleSession.actor(request),
      });
      await v1.register(callerBudgetPlugin);
      await v1.register(workflowRoutes);
      await v1.register(requestRoutes, { polar: options.polar, model });
      await v1.register(runRoutes);
      await v1.register(checkpointRoutes);
      await v1.register(auditRoutes);
      await v1.register(eventRoutes, { keepAliveMs: options.eventKeepAliveMs });
      await v1.register(toolRoutes, tooling);
      await v1.register(whoamiRoutes);
      await v1.register(watchRoutes, { watches });
      await v1.register(webhookDeliveryRoutes, { deliveries: storage.webhooks });
    },
    { prefix: "/v1" },
  );
  // Signed by Polar, not bearer-authenticated; still under the body limit and the rate limit.
  await app.register(polarWebhookRoutes, { prefix: "/v1", receiver });
  // LangGraph's API over the same run core, keys, tenancy and budget as /v1.
  await app.register(langGraphRoutes, {
    prefix: "/langgraph",
    service: new LangGraphService(service, storage.threads),
    ...signIn,
  });
  await app.register(langGraphPreflight, { prefix: "/langgraph" });
  // MCP: the same tools, keys, tenancy and budget as /v1.
  await app.register(async (mcp) => {
    await mcp.register(authPlugin, signIn);
    await mcp.register(callerBudgetPlugin);
    await mcp.register(mcpRoutes, tooling);
  });
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
