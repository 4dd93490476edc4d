/**
 * What the gateway needs to reach Polar. The service builds this from its own configuration;
 * tests, benchmarks and scripts build it directly.
 */
export interface PolarSettings {
  /** Organization access token; null: use the built-in simulator with its demo data. */
  accessToken: string | null;
  environment: "sandbox" | "production";
  /** Overrides the environment's URL (a simulator, a proxy); needs an access token. */
  baseUrl: string | null;
  /** Requests per minute polar-flows allows itself; null: no client-side limit. */
  requestsPerMinute: number | null;
}

/** Settings that cannot work together; raised before anything is started or sent. */
export class PolarSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolarSettingsError";
  }
}
