/** `GET /whoami`: who the presented key (or console session) is — for clients and the console. */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { ROLES } from "../../lib/actor.ts";

export const Whoami = z
  .object({
    tenant: z.string(),
    name: z.string().describe("The key's name; answers are recorded under it."),
    role: z
      .enum(ROLES)
      .describe("`agent`: starts and reads runs; `approver`: also answers interrupts."),
  })
  .meta({ id: "Whoami" });

export const whoamiRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    "/whoami",
    {
      schema: {
        operationId: "whoami",
        tags: ["keys"],
        summary: "Who the key is: tenant, name, role",
        response: { 200: Whoami },
      },
    },
    async (request) => ({
      tenant: request.actor.tenant,
      name: request.actor.name,
      role: request.actor.role,
    }),
  );
};
