/**
 * The service's connection to Polar: the gateway, pointed at Polar (an access token, with an
 * environment or a base URL), or — with no token — at the built-in simulator, started
 * in-process on loopback with its demo data.
 */
import { PolarGateway, type PolarGatewayOptions } from "./gateway.ts";
import { type PolarSettings, PolarSettingsError } from "./settings.ts";
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
  /** Gateway settings beyond `PolarSettings` (tests: a tiny retry policy). */
  gateway?: Omit<
    PolarGatewayOptions,
    "accessToken" | "environment" | "baseUrl" | "requestsPerMinute"
  >;
  simulator?: SimulatorOptions;
}

export async function connectPolar(
  settings: PolarSettings,
  options: ConnectOptions = {},
): Promise<PolarConnection> {
  if (settings.accessToken === null) {
    if (settings.baseUrl !== null) {
      throw new PolarSettingsError(
        "A Polar base URL is set but no access token: give the token for that server.",
      );
    }
    const simulator = await startSimulator({ ...options.simulator, host: "127.0.0.1", port: 0 });
    const gateway = new PolarGateway({
      ...options.gateway,
      accessToken: simulator.token,
      baseUrl: simulator.url,
      requestsPerMinute: settings.requestsPerMinute,
    });
    return { gateway, simulator, baseUrl: simulator.url, close: () => simulator.close() };
  }
  const gateway = new PolarGateway({
    ...options.gateway,
    accessToken: settings.accessToken,
    environment: settings.environment,
    ...(settings.baseUrl ? { baseUrl: settings.baseUrl } : {}),
    requestsPerMinute: settings.requestsPerMinute,
  });
  return { gateway, simulator: null, baseUrl: settings.baseUrl, close: async () => {} };
}
