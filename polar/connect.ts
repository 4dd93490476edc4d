/**
 * The service's connection to Polar: the gateway, pointed at Polar (`POLAR_ACCESS_TOKEN`, with
 * `POLAR_ENVIRONMENT` or `POLAR_BASE_URL`), or — with no token — at the built-in simulator,
 * started in-process on loopback with its demo data.
 */
import type { Config } from "../server/config.ts";
import { ConfigError } from "../server/config.ts";
import { PolarGateway, type PolarGatewayOptions } from "./gateway.ts";
import { type SimulatorHandle, type SimulatorOptions, startSimulator } from "./simulator/index.ts";

export interface PolarConnection {
  gateway: PolarGateway;
  /** The built-in simulator, when there is no token. */
  simulator: SimulatorHandle | null;
  /** Where the gateway sends its requests (null: the SDK's URL for the environment). */
  baseUrl: string | null;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Gateway settings beyond the configuration (tests: a tiny retry policy). */
  gateway?: Omit<
    PolarGatewayOptions,
    "accessToken" | "environment" | "baseUrl" | "requestsPerMinute"
  >;
  simulator?: SimulatorOptions;
}

export async function connectPolar(
  polar: Config["polar"],
  options: ConnectOptions = {},
): Promise<PolarConnection> {
  if (polar.accessToken === null) {
    if (polar.baseUrl !== null) {
      throw new ConfigError(
        "POLAR_BASE_URL is set but POLAR_ACCESS_TOKEN is not: give the token for that server.",
      );
    }
    const simulator = await startSimulator({ ...options.simulator, host: "127.0.0.1", port: 0 });
    const gateway = new PolarGateway({
      ...options.gateway,
      accessToken: simulator.token,
      baseUrl: simulator.url,
      requestsPerMinute: polar.rateLimit,
    });
    return { gateway, simulator, baseUrl: simulator.url, close: () => simulator.close() };
  }
  const gateway = new PolarGateway({
    ...options.gateway,
    accessToken: polar.accessToken,
    environment: polar.environment,
    ...(polar.baseUrl ? { baseUrl: polar.baseUrl } : {}),
    requestsPerMinute: polar.rateLimit,
  });
  return { gateway, simulator: null, baseUrl: polar.baseUrl, close: async () => {} };
}
