/**
 * `npm start`: serves the API with the configuration from environment variables. With no
 * configuration at all: SQLite in ./data and the built-in Polar simulator with its demo data.
 * SIGTERM/SIGINT: stop taking requests, let in-flight steps reach a checkpoint (bounded), close.
 */
import { connectPolar } from "../polar/connect.ts";
import { statementTimeoutFor } from "../runs/settings.ts";
import { createStorage, SQLITE_FILE } from "../storage/index.ts";
import { buildApp } from "./app.ts";
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
    const app = await buildApp({ config, storage, polar: polar.gateway, logger });
    await app.listen({ host: config.host, port: config.port });
    return { storage, polar, app };
  } catch (error) {
    console.error(
      `polar-flows could not start: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(1);
  }
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
    `  API docs:  ${url}/docs   (OpenAPI: ${url}/openapi.json)`,
    `  Storage:   ${storage.kind === "sqlite" ? `SQLite, ${config.dataDir}/${SQLITE_FILE}` : `PostgreSQL, schema ${config.databaseSchema}, replica ${app.runService.owner}`}`,
    `  Polar:     ${polar.simulator ? `built-in simulator with demo data at ${polar.simulator.url}` : (config.polar.baseUrl ?? config.polar.environment)}`,
    `  Model:     ${config.openai.apiKey || config.openai.baseUrl ? (config.openai.model ?? "gpt-4o-mini") : "none (templates and rules)"}`,
    `  Auth:      ${config.apiKeys ? `API keys ${config.apiKeys.map((key) => `${key.tenant}:${key.name} (${key.role})`).join(", ")}` : "off (tenant default)"}`,
    "",
    "Start Scenario 1 (overage remediation) and see the approval it waits for:",
    `  curl -s -X POST ${url}/v1/workflows/overage-remediation/runs -H "Content-Type: application/json"${authHeader} -d '${JSON.stringify(SCENARIO_1)}'`,
    "",
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
