/**
 * What the gateway needs to reach Polar. The service builds this from its own configuration;
 * tests, benchmarks and scripts build it directly.
 */
export interface PolarSettings {
  /** Organization access token; null: use the built-in simulator with its demo data. */
  accessToken: string | null;
  /** Tenants acting on an organization of their own: tenant → that organization's token. */
  tenantTokens?: ReadonlyMap<string, string>;
  environment: "sandbox" | "production";
  /** Overrides the environment's URL (a simulator, a proxy); needs an access token. */
  baseUrl: string | null;
  /**
   * Requests per minute polar-flows allows itself per token; null: no client-side limit for the
   * shared token (the simulator), Polar's default for tenants' own tokens.
   */
  requestsPerMinute: number | null;
}

/** Polar's own limit per organization, less nothing: 100/min in sandbox, 500 in production. */
export function defaultRequestsPerMinute(environment: PolarSettings["environment"]): number {
  return environment === "production" ? 500 : 100;
}

/** Settings that cannot work together; raised before anything is started or sent. */
export class PolarSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolarSettingsError";
  }
}
