/**
 * The Polar simulator: a Fastify app answering the subset of Polar's API 2026-10 that polar-flows
 * uses, from in-memory demo data, with fault injection and a request log. Like Polar, a token
 * belongs to one organization: each token sees and changes only its organization's data.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import type { LoggedRequest, SimulatorControls } from "./controls.ts";
import { createCrowd } from "./crowd.ts";
import { invalidToken, missingToken, PolarHttpError } from "./errors.ts";
import { type FaultOptions, Faults, type RateLimit } from "./faults.ts";
import { benefitRoutes } from "./routes/benefits.ts";
import { checkoutRoutes } from "./routes/checkouts.ts";
import { controlRoutes } from "./routes/control.ts";
import { customerRoutes } from "./routes/customers.ts";
import { eventRoutes } from "./routes/events.ts";
import { meterRoutes } from "./routes/meters.ts";
import { productRoutes } from "./routes/products.ts";
import { subscriptionRoutes } from "./routes/subscriptions.ts";
import type { SeedData } from "./seed.ts";
import { type OrganizationOptions, SimulatorStore } from "./store.ts";
import { iso } from "./time.ts";
import { type WebhookEndpoint, WebhookSender } from "./webhooks.ts";

export type { LoggedRequest, SimulatorControls } from "./controls.ts";

/** The token the simulator accepts unless told otherwise (documented; not a secret). */
export const DEFAULT_SIMULATOR_TOKEN = "polar_oat_simulator_demo_token";

const MAX_LOGGED_REQUESTS = 10_000;

export interface SimulatorOptions {
  /** The instant the demo data is relative to (default: now). The simulated clock runs on from it. */
  now?: Date;
  /** Bearer token of the demo organization (default `DEFAULT_SIMULATOR_TOKEN`). */
  token?: string;
  /** Further organizations, each with its own token and data (empty unless seeded). */
  organizations?: OrganizationOptions[];
  /** Changes to the demo organization's seed data, kept across resets (tests). */
  customizeSeed?: (data: SeedData) => void;
  /** Fixed-window rate limit, answered like Polar: 429, `retry-after`, empty body. */
  rateLimit?: RateLimit | null;
  /** Random 429s and 503s (seeded, so runs repeat). */
  faults?: Pick<FaultOptions, "rate429" | "rate503" | "retryAfterSeconds" | "seed">;
  /** Delay before every `/v1` answer. */
  latencyMs?: number;
  /** Fastify's logger (default off). */
  logger?: boolean;
  /** Where to deliver signed webhooks (`customer.state_changed` after ingestion); default none. */
  webhooks?: WebhookEndpoint;
}

function isApiPath(url: string): boolean {
  return url === "/v1" || url.startsWith("/v1/") || url.startsWith("/v1?");
}

function bearerToken(request: FastifyRequest): string | null {
  const [scheme, value] = (request.headers.authorization ?? "").trim().split(/\s+/, 2);
  return scheme?.toLowerCase() === "bearer" && value ? value : null;
}

function send(reply: FastifyReply, error: PolarHttpError): FastifyReply {
  reply.code(error.statusCode).headers(error.headers);
  return error.body === undefined ? reply.send() : reply.send(error.body);
}

/** The app plus the controls a handle (or the control endpoints) use. */
export function createSimulator(options: SimulatorOptions = {}): {
  app: FastifyInstance;
  controls: SimulatorControls;
} {
  const token = options.token ?? DEFAULT_SIMULATOR_TOKEN;
  const now = options.now ?? new Date();
  const demo = new SimulatorStore(now, null, options.customizeSeed);
  const stores = new Map<string, SimulatorStore>([[token, demo]]);
  for (const organization of options.organizations ?? []) {
    if (stores.has(organization.token)) throw new Error("each organization needs its own token");
    stores.set(organization.token, new SimulatorStore(now, organization));
  }
  // The routes read `store` as they run; it stands for the organization of the request's token.
  const current = new AsyncLocalStorage<SimulatorStore>();
  const store = new Proxy(demo, {
    get: (_target, property) => Reflect.get(current.getStore() ?? demo, property),
    set: (_target, property, value) => Reflect.set(current.getStore() ?? demo, property, value),
  });
  const initialFaults: FaultOptions = {
    ...options.faults,
    latencyMs: options.latencyMs,
    rateLimit: options.rateLimit ?? null,
  };
  let faults = new Faults(initialFaults);
  let log: LoggedRequest[] = [];
  // Webhooks and crowds are the demo organization's.
  const webhooks = new WebhookSender(demo);
  webhooks.configure(options.webhooks ?? null);

  const controls: SimulatorControls = {
    now: demo.seedNow,
    token,
    requests: () => log.map((entry) => ({ ...entry })),
    clearRequests: () => {
      log = [];
    },
    faults: () => faults.current(),
    setFaults: (partial) => faults.update(partial),
    setWebhookEndpoint: (endpoint) => webhooks.configure(endpoint),
    webhooksDelivered: () => webhooks.delivered,
    addCrowd: (spec) => {
      const crowd = createCrowd(demo.now(), spec);
      demo.addRecords(crowd);
      return crowd.over;
    },
    reset: () => {
      for (const organization of stores.values()) organization.reset();
      faults = new Faults(initialFaults);
      log = [];
    },
  };

  // Long external ids must reach the routes (Fastify's default cuts path parameters at 100).
  // Closing ends every connection: one that was busy at close (a cancelled run's last request)
  // would otherwise be kept alive, and hold the close, for Fastify's 72 s keep-alive timeout.
  const app = Fastify({
    logger: options.logger ?? false,
    forceCloseConnections: true,
    routerOptions: { maxParamLength: 1000 },
  });

  // Hooks run after the body is parsed, so the request log has it even for rejected requests.
  app.addHook("preHandler", async (request, reply) => {
    const authorized = bearerToken(request);
    if (!isApiPath(request.url)) {
      if (request.url.startsWith("/__simulator/") && authorized !== token) {
        return send(reply, authorized === null ? missingToken() : invalidToken());
      }
      return;
    }
    const latency = faults.latencyMs();
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    const decision = faults.decide(Date.now());
    if (decision.kind === "unavailable") {
      return send(reply, new PolarHttpError(503, { detail: "Service Unavailable" }));
    }
    if (decision.kind === "rate_limited") {
      // Exactly like Polar: only `retry-after`, and no body at all.
      return send(
        reply,
        new PolarHttpError(429, undefined, { "retry-after": String(decision.retryAfterSeconds) }),
      );
    }
    if (authorized === null) return send(reply, missingToken());
    if (!stores.has(authorized)) return send(reply, invalidToken());
  });

  // The rest of the request runs with the token's organization as `store`.
  app.addHook("preHandler", (request, _reply, done) => {
    const organization = stores.get(bearerToken(request) ?? "");
    if (organization && isApiPath(request.url)) current.run(organization, done);
    else done();
  });

  app.addHook("onResponse", async (request, reply) => {
    if (!isApiPath(request.url)) return;
    log.push({
      method: request.method,
      path: request.url.split("?")[0],
      query: { ...(request.query as Record<string, unknown>) },
      body: request.body ?? null,
      status: reply.statusCode,
      at: iso(demo.now()),
    });
    if (log.length > MAX_LOGGED_REQUESTS) log = log.slice(-MAX_LOGGED_REQUESTS);
  });

  // An empty JSON body reads as no body (a route that needs one answers Polar's 422 "missing").
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, text, done) => {
    if (text === "") return done(null, undefined);
    try {
      done(null, JSON.parse(text as string));
    } catch (error) {
      done(
        new PolarHttpError(422, {
          error: "RequestValidationError",
          detail: [
            {
              type: "json_invalid",
              loc: ["body", 0],
              msg: "JSON decode error",
              input: {},
              ctx: { error: (error as Error).message },
            },
          ],
        }),
      );
    }
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof PolarHttpError) return send(reply, error);
    const status = error.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return send(reply, new PolarHttpError(status, { detail: error.message }));
    }
    request.log.error(error);
    return send(reply, new PolarHttpError(500, { detail: "Internal Server Error" }));
  });

  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split("?")[0];
    // FastAPI redirects `/v1/customers` to the declared `/v1/customers/`.
    if (!path.endsWith("/") && app.hasRoute({ method: request.method as "GET", url: `${path}/` })) {
      const query = request.url.slice(path.length);
      return reply.code(307).header("location", `${path}/${query}`).send();
    }
    // Polar has DELETE endpoints; the simulator deliberately implements none.
    if (request.method === "DELETE") return reply.code(405).send({ detail: "Method Not Allowed" });
    return reply.code(404).send({ detail: "Not Found" });
  });

  app.addHook("onClose", async () => webhooks.close());

  const context = { store };
  customerRoutes(app, context);
  subscriptionRoutes(app, context);
  productRoutes(app, context);
  meterRoutes(app, context);
  eventRoutes(app, context);
  checkoutRoutes(app, context);
  benefitRoutes(app, context);
  controlRoutes(app, controls);

  // Where checkout `url`s point: a stand-in for Polar's hosted checkout page.
  app.get("/checkout/:client_secret", async (request, reply) => {
    const secret = (request.params as { client_secret: string }).client_secret;
    const checkout = [...stores.values()]
      .flatMap((organization) => organization.checkouts)
      .find((item) => item.client_secret === secret);
    if (!checkout) return reply.code(404).send({ detail: "Not Found" });
    reply.type("text/html");
    return `<!doctype html><title>Polar simulator checkout</title><p>Simulated checkout ${checkout.id}. Nothing is charged.</p>`;
  });

  return { app, controls };
}

/** The simulator as a Fastify app (not listening; use `inject` or `listen`). */
export function buildSimulatorApp(options: SimulatorOptions = {}): FastifyInstance {
  return createSimulator(options).app;
}

export interface SimulatorHandle extends SimulatorControls {
  /** Base URL, e.g. `http://127.0.0.1:41234` (pass it to the SDK as `baseUrl`). */
  url: string;
  close(): Promise<void>;
}

/** Starts the simulator on `host` (default 127.0.0.1) and `port` (default 0: any free port). */
export async function startSimulator(
  options: SimulatorOptions & { host?: string; port?: number } = {},
): Promise<SimulatorHandle> {
  const { app, controls } = createSimulator(options);
  const host = options.host ?? "127.0.0.1";
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    ...controls,
    url: `http://${urlHost}:${port}`,
    close: () => app.close(),
  };
}
