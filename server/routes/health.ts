/** Liveness (the process answers) and readiness (the store answers too). */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { isStoreUnavailable } from "../../storage/index.ts";
import { ProblemError } from "../problem.ts";
import { problems } from "./common.ts";

export interface HealthOptions {
  ping: () => Promise<void>;
}

const Health = z.object({ status: z.enum(["ok", "ready"]) });

export const healthRoutes: FastifyPluginAsyncZod<HealthOptions> = async (app, options) => {
  app.get(
    "/healthz",
    {
      schema: {
        operationId: "getHealth",
        tags: ["health"],
        summary: "Liveness",
        security: [],
        response: { 200: Health },
      },
    },
    async () => ({ status: "ok" as const }),
  );

  app.get(
    "/readyz",
    {
      schema: {
        operationId: "getReadiness",
        tags: ["health"],
        summary: "Readiness: the store answers",
        security: [],
        response: { 200: Health, ...problems(503) },
      },
    },
    async (request) => {
      try {
        await options.ping();
      } catch (error) {
        // Unreachable (a restart, a failover): the errors plugin answers 503 with Retry-After.
        if (isStoreUnavailable(error)) throw error;
        request.log.warn({ err: error }, "storage is not reachable");
        throw new ProblemError(503, "The store does not answer.");
      }
      return { status: "ready" as const };
    },
  );
};
