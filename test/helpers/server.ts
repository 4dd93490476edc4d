/**
 * The API for tests: the real app on a loopback port, over real HTTP (`fetch`), on a real store,
 * with Polar played by the simulator in the same process.
 */
import type { FastifyBaseLogger } from "fastify";
import { connectPolar } from "../../polar/connect.ts";
import type { PolarForTenants, PolarGatewayOptions } from "../../polar/gateway.ts";
import type { SimulatorOptions } from "../../polar/simulator/index.ts";
import { type App, buildApp } from "../../server/app.ts";
import { type Config, loadConfig } from "../../server/config.ts";
import type { Storage } from "../../storage/index.ts";
import type { TestBackend } from "./backends.ts";
import { fastClock, gatewayFor, startTestPolar, type TestSimulator } from "./polar.ts";

export interface TestServerOptions {
  /** Environment variables for `loadConfig`, e.g. `API_KEYS`. */
  env?: Record<string, string>;
  /** Overrides of the parsed configuration. */
  config?: Partial<Config>;
  logger?: FastifyBaseLogger;
  simulator?: SimulatorOptions;
  gateway?: Partial<PolarGatewayOptions>;
  eventKeepAliveMs?: number;
  notices?: { retryDelaysMs?: number[]; pollMs?: number };
  sweepPollMs?: number;
  /** The app's clock (usage windows, schedules). */
  now?: () => Date;
}

export interface TestServer {
  url: string;
  app: App;
  config: Config;
  storage: Storage;
  simulator: TestSimulator;
  /** A request to the API; `key` sends `Authorization: Bearer <key>`. */
  call(method: string, path: string, options?: CallOptions): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface CallOptions {
  body?: unknown;
  /** Sent as is (no JSON encoding). */
  rawBody?: string;
  headers?: Record<string, string>;
  key?: string;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  json: any;
  text: string;
}

export async function startTestServer(
  backend: TestBackend,
  options: TestServerOptions = {},
): Promise<TestServer> {
  const { simulator } = await startTestPolar(options.simulator);
  const storage = await backend.open();
  const parsed = loadConfig({ LOG_LEVEL: "silent", ...options.env });
  const config: Config = {
    ...parsed,
    runs: { waitSeconds: 20, concurrency: 8 },
    shutdownGraceSeconds: 5,
    ...options.config,
  };
  const app = await buildApp({
    config,
    storage,
    polar: await polarFor(simulator, config, options.gateway),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.eventKeepAliveMs ? { eventKeepAliveMs: options.eventKeepAliveMs } : {}),
    ...(options.notices ? { notices: options.notices } : {}),
    ...(options.sweepPollMs ? { sweepPollMs: options.sweepPollMs } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  let closing: Promise<void> | undefined;
  return {
    url,
    app,
    config,
    storage,
    simulator,
    call: (method, path, callOptions) => call(url, method, path, callOptions),
    close() {
      closing ??= (async () => {
        await app.close();
        await storage.close();
        await simulator.close();
      })();
      return closing;
    },
  };
}

/**
 * One gateway on the simulator's demo organization; with `POLAR_TOKENS`, the service's own
 * per-tenant connection (the simulator holds the tenants' organizations).
 */
async function polarFor(
  simulator: TestSimulator,
  config: Config,
  gateway: Partial<PolarGatewayOptions> = {},
): Promise<PolarForTenants> {
  if (!config.polar.tenantTokens?.size) return gatewayFor(simulator, gateway);
  const settings = { ...config.polar, accessToken: simulator.token, baseUrl: simulator.url };
  const { clock = fastClock, ...rest } = gateway;
  return (await connectPolar(settings, { gateway: { clock, ...rest } })).gateways;
}

export async function call(
  base: string,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  const response = await fetch(`${base}${path}`, { method, headers, body });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: response.status, headers: response.headers, json, text };
}

/** Polls `check` until it returns a value other than undefined (bounded, short intervals). */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  { timeoutMs = 15_000, intervalMs = 25 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Waits until the run is no longer queued or running; returns it. */
export function settledRun(server: Pick<TestServer, "call">, runId: string, key?: string) {
  return eventually(async () => {
    const { json } = await server.call("GET", `/v1/runs/${runId}`, { key });
    return json && !["queued", "running"].includes(json.status) ? json : undefined;
  });
}

export interface SseEvent {
  id: string;
  event: string;
  data: any;
}

/** Reads a run's event stream to its end (the run pauses or ends). */
export async function readEvents(
  server: Pick<TestServer, "url">,
  runId: string,
  options: { lastEventId?: string; key?: string; timeoutMs?: number } = {},
): Promise<{ status: number; contentType: string | null; events: SseEvent[]; comments: number }> {
  const headers: Record<string, string> = {};
  if (options.lastEventId) headers["last-event-id"] = options.lastEventId;
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  const response = await fetch(`${server.url}/v1/runs/${runId}/events`, {
    headers,
    signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
  });
  const text = await response.text();
  const events: SseEvent[] = [];
  let comments = 0;
  for (const block of text.split("\n\n")) {
    if (block.trim() === "") continue;
    const fields: Record<string, string> = {};
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) {
        comments += 1;
        continue;
      }
      const colon = line.indexOf(":");
      fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
    }
    if (fields.event)
      events.push({ id: fields.id!, event: fields.event, data: JSON.parse(fields.data!) });
  }
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    events,
    comments,
  };
}
