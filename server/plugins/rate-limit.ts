/**
 * Each caller's own request budget: counted per tenant (per client address when auth is off) by
 * @fastify/rate-limit, advertised on every response with the IETF RateLimit fields
 * (draft-ietf-httpapi-ratelimit-headers: `RateLimit-Policy: "caller";q=300;w=60` and
 * `RateLimit: "caller";r=299;t=42`), and past it a 429 problem with `Retry-After`. The plugin's own
 * `enableDraftSpec` writes the older RateLimit-Limit/-Remaining/-Reset trio, so the current fields
 * are written here from its counters. Counts live in this process (one budget per replica).
 */
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { ProblemError } from "../problem.ts";
import { addProblemAnswers } from "../routes/common.ts";

declare module "fastify" {
  interface FastifyInstance {
    /** An `onRequest` hook for a scope, registered after its auth: counts the caller's request. */
    callerRateLimit: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}

export interface CallerRateLimitOptions {
  /** Requests per minute each caller may make. */
  requestsPerMinute: number;
  /** Count per tenant (API keys on); otherwise per client address. */
  perTenant: boolean;
}

const POLICY = "caller";
const WINDOW_SECONDS = 60;

async function callerRateLimit(app: FastifyInstance, options: CallerRateLimitOptions) {
  await app.register(rateLimit, { global: false });
  const count = app.createRateLimit({
    max: options.requestsPerMinute,
    timeWindow: WINDOW_SECONDS * 1000,
    keyGenerator: (request) =>
      options.perTenant ? `tenant:${request.tenant}` : `address:${request.ip}`,
  });

  app.decorate("callerRateLimit", async (request: FastifyRequest, reply: FastifyReply) => {
    const state = await count(request);
    if (state.isAllowed) return;
    reply.header("ratelimit-policy", `"${POLICY}";q=${state.max};w=${WINDOW_SECONDS}`);
    reply.header("ratelimit", `"${POLICY}";r=${state.remaining};t=${state.ttlInSeconds}`);
    if (!state.isExceeded) return;
    reply.header("retry-after", String(state.ttlInSeconds));
    throw new ProblemError(
      "rate_limited",
      `Your budget of ${state.max} requests per minute is spent; retry in ${state.ttlInSeconds} s.`,
    );
  });
}

export const callerRateLimitPlugin = fp(callerRateLimit, { name: "caller-rate-limit" });

/**
 * For a scope whose routes count against the caller's budget, registered after its auth: counts
 * each request, and lists the 429 in the routes' documentation.
 */
export const callerBudgetPlugin = fp(
  async (scope: FastifyInstance) => {
    scope.addHook("onRoute", (route) => addProblemAnswers(route, 429));
    scope.addHook("onRequest", scope.callerRateLimit);
  },
  { name: "caller-budget", dependencies: ["caller-rate-limit"] },
);
