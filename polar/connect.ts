/**
 * The service's connection to Polar: a gateway per organization token — the shared
 * `accessToken` and each tenant's own (`tenantTokens`) — pointed at Polar (an environment or a
 * base URL). Without a shared token, tenants without one of their own use the built-in
 * simulator, started in-process on loopback with its demo data.
 */
import { PolarGateway, type PolarGatewayOptions } from "./gateway.ts";
import { defaultRequestsPerMinute, type PolarSettings, PolarSettingsError } from "./settings.ts";
import { type SimulatorHandle, type SimulatorOptions, startSimulator } from "./simulator/index.ts";
import { TenantGateways } from "./tenants.ts";

export interface PolarConnection {
  /** The shared gateway: the shared token's, or the built-in simulator's. */
  gateway: PolarGateway;
  /** Each tenant's gateway: its own token's, else the shared one. */
  gateways: TenantGateways;
  /** The built-in simulator, when there is no shared token. */
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
  const tenantTokens = settings.tenantTokens ?? new Map<string, string>();
  if (settings.accessToken === null && tenantTokens.size === 0 && settings.baseUrl !== null) {
    throw new PolarSettingsError(
      "A Polar base URL is set but no access token: give the token for that server.",
    );
  }
  // One gateway per token: tenants sharing a token share its organization and its budget.
  const polar = (accessToken: string, requestsPerMinute: number | null) =>
    new PolarGateway({
      ...options.gateway,
      accessToken,
      environment: settings.environment,
      ...(settings.baseUrl ? { baseUrl: settings.baseUrl } : {}),
      requestsPerMinute,
    });
  // A tenant's own token always reaches a real organization, with its limit.
  const tenantRate = settings.requestsPerMinute ?? defaultRequestsPerMinute(settings.environment);
  const byToken = new Map<string, PolarGateway>();
  for (const token of new Set(tenantTokens.values())) byToken.set(token, polar(token, tenantRate));
  const byTenant = new Map(
    [...tenantTokens].map(([tenant, token]) => [tenant, byToken.get(token)!] as const),
  );

  if (settings.accessToken === null) {
    const simulator = await startSimulator({ ...options.simulator, host: "127.0.0.1", port: 0 });
    const gateway = new PolarGateway({
      ...options.gateway,
      accessToken: simulator.token,
      baseUrl: simulator.url,
      requestsPerMinute: settings.requestsPerMinute,
    });
    return {
      gateway,
      gateways: new TenantGateways(gateway, byTenant),
      simulator,
      baseUrl: simulator.url,
      close: () => simulator.close(),
    };
  }
  const gateway =
    byToken.get(settings.accessToken) ?? polar(settings.accessToken, settings.requestsPerMinute);
  return {
    gateway,
    gateways: new TenantGateways(gateway, byTenant),
    simulator: null,
    baseUrl: settings.baseUrl,
    close: async () => {},
  };
}
