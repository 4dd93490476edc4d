/** `GET /langgraph/info`: what LangGraph clients ask first, to see the server is there. */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import packageJson from "../../../package.json" with { type: "json" };

export const infoRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    "/info",
    {
      schema: {
        operationId: "langGraphInfo",
        tags: ["langgraph"],
        summary: "Server information (LangGraph API)",
        response: {
          200: z.object({
            version: z.string(),
            flags: z.object({
              assistants: z.boolean(),
              crons: z.boolean(),
              langsmith: z.boolean(),
            }),
          }),
        },
      },
    },
    async () => ({
      version: `polar-flows ${packageJson.version}`,
      flags: { assistants: true, crons: false, langsmith: false },
    }),
  );
};
