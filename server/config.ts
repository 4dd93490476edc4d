/**
 * Configuration from environment variables (the README lists them), parsed once at start. A bad value stops the
 * service with a message naming the variable.
 */
import { z } from "zod";
import { defaultRequestsPerMinute, type PolarSettings } from "../polar/settings.ts";
import { QUEUE_DEFAULTS, type QueueSettings } from "../runs/settings.ts";
import { type ApiKey, ApiKeysError, parseApiKeys } from "./api-keys.ts";

const optional = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));

const optionalNumber = optional.transform((value) =>
  value === undefined ? undefined : Number(value),
);

const positiveInt = (name: string) =>
  optionalNumber.pipe(
    z
      .int({ error: `${name} must be a positive whole number` })
      .positive()
      .optional(),
  );

/** Seconds, fractions allowed (`0.5`). */
const positiveSeconds = (name: string) =>
  optionalNumber.pipe(
    z
      .number({ error: `${name} must be a positive number of seconds` })
      .positive()
      .optional(),
  );

const Env = z.object({
  HOST: optional.default("127.0.0.1"),
  PORT: optionalNumber.pipe(
    z.int({ error: "PORT must be a port number" }).min(0).max(65_535).default(3000),
  ),
  API_KEYS: optional,
  PUBLIC_URL: optional.pipe(
    z
      .url({ protocol: /^https?$/, error: "PUBLIC_URL must be an http:// or https:// URL" })
      .optional(),
  ),
  POLAR_ACCESS_TOKEN: optional,
  POLAR_TOKENS: optional,
  POLAR_ENVIRONMENT: optional.pipe(z.enum(["sandbox", "production"]).default("sandbox")),
  POLAR_BASE_URL: optional.pipe(z.url().optional()),
  POLAR_RATE_LIMIT: positiveInt("POLAR_RATE_LIMIT"),
  DATABASE_URL: optional.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, { error: "DATABASE_URL must be a postgres:// URL" })
      .optional(),
  ),
  DATABASE_SCHEMA: optional.pipe(
    z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, {
        error: "DATABASE_SCHEMA must be a plain SQL identifier (letters, digits, _)",
      })
      .default("public"),
  ),
  DATA_DIR: optional.default("./data"),
  OPENAI_API_KEY: optional,
  OPENAI_BASE_URL: optional.pipe(z.url().optional()),
  OPENAI_MODEL: optional,
  RUN_WAIT_SECONDS: positiveInt("RUN_WAIT_SECONDS"),
  RUN_CONCURRENCY: positiveInt("RUN_CONCURRENCY"),
  SHUTDOWN_GRACE_SECONDS: positiveInt("SHUTDOWN_GRACE_SECONDS"),
  RUN_LEASE_SECONDS: positiveSeconds("RUN_LEASE_SECONDS"),
  RUN_LEASE_RENEW_SECONDS: positiveSeconds("RUN_LEASE_RENEW_SECONDS"),
  RUN_POLL_SECONDS: positiveSeconds("RUN_POLL_SECONDS"),
  CHECKPOINT_RETENTION_DAYS: optionalNumber.pipe(
    z
      .number({ error: "CHECKPOINT_RETENTION_DAYS must be a number of days, 0 or more" })
      .min(0)
      .default(30),
  ),
  API_RATE_LIMIT: positiveInt("API_RATE_LIMIT"),
  SIGN_IN_FAILURE_LIMIT: positiveInt("SIGN_IN_FAILURE_LIMIT"),
  TOOLS_SKIP_APPROVAL: optional,
  NOTIFY_URL: optional.pipe(z.url({ protocol: /^https?$/ }).optional()),
  NOTIFY_SECRET: optional.pipe(
    z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/]{16,}={0,2}$/, {
        error: "NOTIFY_SECRET must be a Standard Webhooks secret: whsec_ and base64",
      })
      .optional(),
  ),
  POLAR_WEBHOOK_SECRET: optional,
  POLAR_WEBHOOK_TENANT: optional,
  LOG_LEVEL: optional.pipe(
    z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  ),
});

export interface Config {
  host: string;
  port: number;
  /** The API keys, each with its tenant, name and role; null: auth off, one local approver. */
  apiKeys: readonly ApiKey[] | null;
  /** Where clients reach the service (no trailing slash); null: the address it listens on. */
  publicUrl: string | null;
  /** `requestsPerMinute` is null (no client-side limit) only for the built-in simulator. */
  polar: PolarSettings;
  databaseUrl: string | null;
  /** PostgreSQL schema of the checkpoints and the run registry. */
  databaseSchema: string;
  dataDir: string;
  openai: { apiKey: string | null; baseUrl: string | null; model: string | null };
  runs: {
    /** How long `wait: true` waits for a run to pause or end before answering it `running`. */
    waitSeconds: number;
    /** Runs that execute at once in this process; the others wait `queued`. */
    concurrency: number;
  };
  /** The shared run queue: lease length, lease renewal, and polling when not notified. */
  queue: QueueSettings;
  /** On SIGTERM/SIGINT, how long in-flight runs get to reach a checkpoint. */
  shutdownGraceSeconds: number;
  /** Finished runs older than this keep only their final checkpoint; 0: at once. */
  checkpointRetentionDays: number;
  /** Requests per minute each caller (API key; client address without keys) may make. */
  apiRateLimit: number;
  /** Failed sign-ins (401s) per minute from one client address before it gets 429s. */
  signInFailuresPerMinute: number;
  tools: {
    /** Tenants whose approver keys may write without a person's approval (`TOOLS_SKIP_APPROVAL`). */
    skipApprovalTenants: Set<string>;
  };
  /** Signed notices when a run waits for a person or fails for good; null: none. */
  notify: { url: string; secret: string } | null;
  /**
   * Polar's webhooks (§10): the endpoint's secret (null: `/v1/webhooks/polar` answers 404 —
   * `npm start` with the built-in simulator generates one) and the tenant its events act for.
   */
  webhooks: { secret: string | null; tenant: string };
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
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".")}: ${issue.message}`,
    );
    throw new ConfigError(`Invalid configuration — ${problems.join("; ")}`);
  }
  const values = parsed.data;
  const polarToken = values.POLAR_ACCESS_TOKEN ?? null;
  let apiKeys: ApiKey[] | null = null;
  try {
    apiKeys = values.API_KEYS ? parseApiKeys(values.API_KEYS) : null;
  } catch (error) {
    if (error instanceof ApiKeysError) throw new ConfigError(error.message);
    throw error;
  }
  const tenantTokens = parsePolarTokens(values.POLAR_TOKENS, apiKeys);
  if (polarToken === null && tenantTokens.size === 0 && values.POLAR_BASE_URL !== undefined) {
    throw new ConfigError(
      "POLAR_BASE_URL is set but POLAR_ACCESS_TOKEN is not: give the token for that server.",
    );
  }
  const seconds = (value: number | undefined, fallbackMs: number) =>
    value === undefined ? fallbackMs : value * 1000;
  const queue = {
    leaseMs: seconds(values.RUN_LEASE_SECONDS, QUEUE_DEFAULTS.leaseMs),
    renewMs: seconds(values.RUN_LEASE_RENEW_SECONDS, QUEUE_DEFAULTS.renewMs),
    pollMs: seconds(values.RUN_POLL_SECONDS, QUEUE_DEFAULTS.pollMs),
  };
  if (queue.renewMs >= queue.leaseMs) {
    throw new ConfigError(
      `RUN_LEASE_RENEW_SECONDS (${queue.renewMs / 1000}) must be shorter than RUN_LEASE_SECONDS (${queue.leaseMs / 1000}), or leases lapse while runs execute`,
    );
  }
  return {
    host: values.HOST,
    port: values.PORT,
    apiKeys,
    publicUrl: values.PUBLIC_URL?.replace(/\/+$/, "") ?? null,
    polar: {
      accessToken: polarToken,
      tenantTokens,
      environment: values.POLAR_ENVIRONMENT,
      baseUrl: values.POLAR_BASE_URL ?? null,
      requestsPerMinute:
        values.POLAR_RATE_LIMIT ??
        (polarToken === null ? null : defaultRequestsPerMinute(values.POLAR_ENVIRONMENT)),
    },
    databaseUrl: values.DATABASE_URL ?? null,
    databaseSchema: values.DATABASE_SCHEMA,
    dataDir: values.DATA_DIR,
    openai: {
      apiKey: values.OPENAI_API_KEY ?? null,
      baseUrl: values.OPENAI_BASE_URL ?? null,
      model: values.OPENAI_MODEL ?? null,
    },
    runs: {
      waitSeconds: values.RUN_WAIT_SECONDS ?? 30,
      concurrency: values.RUN_CONCURRENCY ?? 8,
    },
    queue,
    shutdownGraceSeconds: values.SHUTDOWN_GRACE_SECONDS ?? 10,
    checkpointRetentionDays: values.CHECKPOINT_RETENTION_DAYS,
    apiRateLimit: values.API_RATE_LIMIT ?? 1200,
    signInFailuresPerMinute: values.SIGN_IN_FAILURE_LIMIT ?? 10,
    tools: { skipApprovalTenants: parseSkipApproval(values.TOOLS_SKIP_APPROVAL, apiKeys) },
    notify: values.NOTIFY_URL ? { url: values.NOTIFY_URL, secret: notifySecret(values) } : null,
    webhooks: {
      secret: values.POLAR_WEBHOOK_SECRET ?? null,
      tenant: values.POLAR_WEBHOOK_SECRET
        ? webhookTenant(values.POLAR_WEBHOOK_TENANT, apiKeys)
        : (values.POLAR_WEBHOOK_TENANT ?? "default"),
    },
    logLevel: values.LOG_LEVEL,
  };
}

/** `tenant,tenant2`: each must be a tenant of `API_KEYS` (`default` without keys), so a typo fails. */
function parseSkipApproval(raw: string | undefined, apiKeys: readonly ApiKey[] | null) {
  const tenants = new Set(
    (raw ?? "")
      .split(",")
      .map((tenant) => tenant.trim())
      .filter(Boolean),
  );
  for (const tenant of tenants) {
    const known = apiKeys ? apiKeys.some((key) => key.tenant === tenant) : tenant === "default";
    if (!known) {
      throw new ConfigError(
        `TOOLS_SKIP_APPROVAL: ${tenant} is not a tenant of API_KEYS${apiKeys ? "" : " (without API_KEYS the only tenant is default)"}`,
      );
    }
  }
  return tenants;
}

/** With a webhook secret, the tenant its events act for must be one of `API_KEYS` (`default` without keys). */
function webhookTenant(raw: string | undefined, apiKeys: readonly ApiKey[] | null): string {
  const tenant = raw ?? "default";
  const known = apiKeys ? apiKeys.some((key) => key.tenant === tenant) : tenant === "default";
  if (!known) {
    throw new ConfigError(
      `POLAR_WEBHOOK_TENANT: ${tenant} is not a tenant of API_KEYS${apiKeys ? "" : " (without API_KEYS the only tenant is default)"}`,
    );
  }
  return tenant;
}

/**
 * `tenant=token,…`: each tenant's own Polar organization token. Each tenant must be one of
 * `API_KEYS` (`default` without keys), once, so a typo fails rather than sharing data.
 */
function parsePolarTokens(
  raw: string | undefined,
  apiKeys: readonly ApiKey[] | null,
): Map<string, string> {
  const tokens = new Map<string, string>();
  const entries = (raw ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
  for (const [index, entry] of entries.entries()) {
    const at = entry.indexOf("=");
    const tenant = entry.slice(0, Math.max(at, 0)).trim();
    const token = entry.slice(at + 1).trim();
    // Never quote an entry or an unknown tenant: a swapped entry would print the token.
    if (at <= 0 || token === "") {
      throw new ConfigError(`POLAR_TOKENS: entry ${index + 1} must be tenant=token`);
    }
    const known = apiKeys ? apiKeys.some((key) => key.tenant === tenant) : tenant === "default";
    if (!known) {
      throw new ConfigError(
        `POLAR_TOKENS: entry ${index + 1} names a tenant that is not one of API_KEYS${apiKeys ? "" : " (without API_KEYS the only tenant is default)"}`,
      );
    }
    if (tokens.has(tenant)) throw new ConfigError(`POLAR_TOKENS: ${tenant} is named twice`);
    tokens.set(tenant, token);
  }
  return tokens;
}

/** `http://host:port` for a listen address; a wildcard host reads as loopback, where it answers. */
export function listenUrl(host: string, port: number): string {
  const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return `http://${shown.includes(":") ? `[${shown}]` : shown}:${port}`;
}

function notifySecret(values: { NOTIFY_SECRET?: string | undefined }): string {
  if (!values.NOTIFY_SECRET) {
    throw new ConfigError("NOTIFY_URL is set, so NOTIFY_SECRET (whsec_<base64>) must be set too");
  }
  return values.NOTIFY_SECRET;
}

/** Loopback only: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return (
    bare === "localhost" ||
    bare === "::1" ||
    /^127(\.\d{1,3}){3}$/.test(bare) ||
    /^::ffff:127(\.\d{1,3}){3}$/.test(bare)
  );
}

/** Refuses to serve other machines without API keys: anyone could start and approve billing runs. */
export function assertSafeToServe(config: Config): void {
  if (config.apiKeys === null && !isLoopbackHost(config.host)) {
    throw new ConfigError(
      `HOST=${config.host} is reachable from other machines, but API_KEYS is not set, so anyone could start and approve billing runs. ` +
        "Set API_KEYS=tenant=key (keys of at least 16 characters), or listen on 127.0.0.1.",
    );
  }
}

/** Every secret value in the configuration, for log and storage redaction checks. */
export function secretsOf(config: Config): string[] {
  return [
    config.polar.accessToken,
    ...(config.polar.tenantTokens?.values() ?? []),
    config.openai.apiKey,
    config.notify?.secret,
    config.webhooks.secret,
    ...(config.apiKeys ?? []).map((entry) => entry.key),
  ].filter((value): value is string => typeof value === "string" && value.length > 0);
}
