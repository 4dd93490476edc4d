/**
 * `npm start`: serves the API with the configuration from environment variables. With no
 * configuration at all: SQLite in ./data and the built-in Polar simulator with its demo data.
 * SIGTERM/SIGINT: stop taking requests, let in-flight steps reach a checkpoint (bounded), close.
 */
import { randomBytes } from "node:crypto";
import { connectPolar, type PolarConnection } from "../polar/connect.ts";
import { CUSTOMERS, METER } from "../polar/simulator/index.ts";
import { statementTimeoutFor } from "../runs/settings.ts";
import { createStorage, SQLITE_FILE } from "../storage/index.ts";
import { type App, buildApp } from "./app.ts";
import { assertSafeToServe, type Config, ConfigError, listenUrl, loadConfig } from "./config.ts";
import { createLogger, logConnectionNotice } from "./logger.ts";

const SCENARIO_1 = {
  input: {
    customer: { external_id: "external_usr_881" },
    current_product: { name: "Starter" },
    upgrade_product: { name: "Pro" },
    usage: { event_name: "api_request", group_by: "endpoint" },
    limit: 10000,
  },
};

function loadOrExit(): Config {
  try {
    const config = loadConfig(process.env);
    assertSafeToServe(config);
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`polar-flows: ${error.message}`);
    process.exit(1);
  }
}

/** Opens the store, reaches Polar and listens; a failure is one clear line, not a stack trace. */
async function startOrExit(config: Config) {
  try {
    const storage = await createStorage({
      ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
      schema: config.databaseSchema,
      dataDir: config.dataDir,
      statementTimeoutMs: statementTimeoutFor(config.queue),
      onConnection: (notice) => logConnectionNotice(logger, notice),
    });
    const polar = await connectPolar(config.polar);
    // The built-in simulator plays Polar's webhooks too: it and the service share a secret.
    if (polar.simulator && !config.webhooks.secret) {
      config.webhooks.secret = `polar_whs_${randomBytes(24).toString("base64url")}`;
      // With keys, the demo acts for a tenant someone can sign in as.
      const tenants = config.apiKeys?.map((key) => key.tenant) ?? [];
      if (tenants.length > 0 && !tenants.includes(config.webhooks.tenant))
        config.webhooks.tenant = tenants[0]!;
    }
    const app = await buildApp({ config, storage, polar: polar.gateways, logger });
    await app.listen({ host: config.host, port: config.port });
    await wireDemo(app, polar, config);
    return { storage, polar, app };
  } catch (error) {
    console.error(
      `polar-flows could not start: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(1);
  }
}

/** The demo watch: Starter customers over 2,500 API requests this period are offered Pro. */
const DEMO_WATCH = "starter-overage";
const DEMO_LIMIT = 2_500;

/**
 * With the built-in simulator: its webhooks go to this service, and the demo watch exists, so
 * ingesting events over a customer's limit makes an approval appear by itself.
 */
async function wireDemo(app: App, polar: PolarConnection, current: Config) {
  if (!polar.simulator || !current.webhooks.secret) return;
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : current.port;
  polar.simulator.setWebhookEndpoint({
    url: `${listenUrl(current.host, port)}/v1/webhooks/polar`,
    secret: current.webhooks.secret,
  });
  const actor = { tenant: current.webhooks.tenant, name: "demo", role: "approver" as const };
  if ((await app.watchService.list(actor.tenant)).some((watch) => watch.name === DEMO_WATCH))
    return;
  await app.watchService.put(actor, DEMO_WATCH, {
    meter_id: METER.id,
    current_product: { name: "Starter" },
    upgrade_product: { name: "Pro" },
    limit: DEMO_LIMIT,
    threshold_pct: 100,
    require_approval: true,
    enabled: true,
  });
}

const config = loadOrExit();
const logger = createLogger({ level: config.logLevel });
const { storage, polar, app } = await startOrExit(config);
const address = app.server.address();
const port = typeof address === "object" && address !== null ? address.port : config.port;
const url = listenUrl(config.host, port);
const authHeader = config.apiKeys ? ` -H "Authorization: Bearer $POLAR_FLOWS_KEY"` : "";
console.log(
  [
    "",
    `polar-flows is listening on ${url}`,
    `  Console:   ${url}/console   (${config.apiKeys ? "sign in with an approver key" : "no sign-in on loopback"})`,
    `  API docs:  ${url}/docs   (OpenAPI: ${url}/openapi.json)`,
    `  Storage:   ${storage.kind === "sqlite" ? `SQLite, ${config.dataDir}/${SQLITE_FILE}` : `PostgreSQL, schema ${config.databaseSchema}, replica ${app.runService.owner}`}`,
    `  Polar:     ${polar.simulator ? `built-in simulator with demo data at ${polar.simulator.url}` : (config.polar.baseUrl ?? config.polar.environment)}${config.polar.tenantTokens?.size ? `; own organizations (POLAR_TOKENS): ${[...config.polar.tenantTokens.keys()].join(", ")}` : ""}`,
    `  Model:     ${config.openai.apiKey || config.openai.baseUrl ? (config.openai.model ?? "gpt-4o-mini") : "none (templates and rules)"}`,
    `  Auth:      ${config.apiKeys ? `API keys ${config.apiKeys.map((key) => `${key.tenant}:${key.name} (${key.role})`).join(", ")}` : "off (tenant default)"}`,
    "",
    "Start Scenario 1 (overage remediation) and see the approval it waits for:",
    `  curl -s -X POST ${url}/v1/workflows/overage-remediation/runs -H "Content-Type: application/json"${authHeader} -d '${JSON.stringify(SCENARIO_1)}'`,
    "",
    ...(polar.simulator
      ? [
          `Usage watch demo: push Barbara (usr_under, 2,000 requests) over the demo watch's ${DEMO_LIMIT.toLocaleString("en-US")} and an approval appears by itself:`,
          `  curl -s -X POST ${polar.simulator.url}/v1/events/ingest -H "Authorization: Bearer ${polar.simulator.token}" -H "Content-Type: application/json" -d "{\\"events\\": [$(for i in $(seq 600); do printf '{"name":"api_request","external_customer_id":"${CUSTOMERS.barbara.externalId}"},'; done | sed 's/,$//')]}"`,
          `  curl -s "${url}/v1/runs?status=interrupted"${authHeader}    # a few seconds later`,
          "",
        ]
      : []),
  ].join("\n"),
);

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) {
      logger.warn("second signal: exiting at once");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "shutting down: letting in-flight steps reach a checkpoint");
    void (async () => {
      try {
        await app.close();
        await polar.close();
        await storage.close();
        process.exit(0);
      } catch (error) {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      }
    })();
  });
}
