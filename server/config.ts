/**
 * Configuration from the environment (DESIGN §4), parsed once at start. A bad value stops the
 * service with a message naming the variable.
 */
import { z } from "zod";

const optional = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));

const optionalNumber = optional.transform((value) => (value === undefined ? undefined : Number(value)));

const positiveInt = (name: string) =>
  optionalNumber.pipe(
    z.int({ error: `${name} must be a positive whole number` }).positive().optional(),
  );

const Env = z.object({
  HOST: optional.default("127.0.0.1"),
  PORT: optionalNumber.pipe(z.int({ error: "PORT must be a port number" }).min(0).max(65_535).default(3000)),
  API_KEYS: optional,
  POLAR_ACCESS_TOKEN: optional,
  POLAR_ENVIRONMENT: optional.pipe(z.enum(["sandbox", "production"]).default("sandbox")),
  POLAR_BASE_URL: optional.pipe(z.url().optional()),
  POLAR_RATE_LIMIT: positiveInt("POLAR_RATE_LIMIT"),
  DATABASE_URL: optional.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, { error: "DATABASE_URL must be a postgres:// URL" })
      .optional(),
  ),
  DATA_DIR: optional.default("./data"),
  OPENAI_API_KEY: optional,
  OPENAI_BASE_URL: optional.pipe(z.url().optional()),
  OPENAI_MODEL: optional,
  LOG_LEVEL: optional.pipe(
    z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  ),
});

export interface Config {
  host: string;
  port: number;
  /** tenant → API key; null: auth off, everything is tenant `default`. */
  apiKeys: Map<string, string> | null;
  polar: {
    accessToken: string | null;
    environment: "sandbox" | "production";
    baseUrl: string | null;
    /** Requests per minute; null: unlimited (only for the built-in simulator). */
    rateLimit: number | null;
  };
  databaseUrl: string | null;
  dataDir: string;
  openai: { apiKey: string | null; baseUrl: string | null; model: string | null };
  logLevel: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration — ${problems.join("; ")}`);
  }
  const values = parsed.data;
  const polarToken = values.POLAR_ACCESS_TOKEN ?? null;
  return {
    host: values.HOST,
    port: values.PORT,
    apiKeys: values.API_KEYS ? parseApiKeys(values.API_KEYS) : null,
    polar: {
      accessToken: polarToken,
      environment: values.POLAR_ENVIRONMENT,
      baseUrl: values.POLAR_BASE_URL ?? null,
      rateLimit:
        values.POLAR_RATE_LIMIT ??
        (polarToken === null ? null : values.POLAR_ENVIRONMENT === "production" ? 500 : 100),
    },
    databaseUrl: values.DATABASE_URL ?? null,
    dataDir: values.DATA_DIR,
    openai: {
      apiKey: values.OPENAI_API_KEY ?? null,
      baseUrl: values.OPENAI_BASE_URL ?? null,
      model: values.OPENAI_MODEL ?? null,
    },
    logLevel: values.LOG_LEVEL,
  };
}

/** `tenant=key,tenant2=key2` → tenant → key. */
function parseApiKeys(raw: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const pair of raw.split(",")) {
    const [tenant, key, ...rest] = pair.split("=").map((part) => part.trim());
    if (!tenant || !key || rest.length > 0 || !/^[A-Za-z0-9_.-]{1,64}$/.test(tenant)) {
      throw new ConfigError("API_KEYS must look like tenant=key,tenant2=key2 (tenant: letters, digits, _ . -)");
    }
    if (key.length < 16) throw new ConfigError(`API_KEYS: the key of tenant ${tenant} must be at least 16 characters`);
    if (keys.has(tenant)) throw new ConfigError(`API_KEYS: tenant ${tenant} appears twice`);
    keys.set(tenant, key);
  }
  return keys;
}

/** Every secret value in the configuration, for log and storage redaction checks. */
export function secretsOf(config: Config): string[] {
  return [config.polar.accessToken, config.openai.apiKey, ...(config.apiKeys?.values() ?? [])].filter(
    (value): value is string => typeof value === "string" && value.length > 0,
  );
}
