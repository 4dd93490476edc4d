/**
 * The OpenAPI 3.1 document, generated from the routes' zod schemas, at `/openapi.json`, and
 * Swagger UI at `/docs`. Registered before the routes, so that it sees them all.
 */
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { jsonSchemaTransform, jsonSchemaTransformObject } from "fastify-type-provider-zod";

async function openapi(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "polar-flows",
        version: "0.1.0",
        description:
          "Billing workflows against Polar as durable, checkpointed LangGraph runs: start a run, answer its approvals, inspect every checkpoint.",
      },
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer", description: "A key from `API_KEYS`." },
        },
      },
      tags: [
        { name: "workflows", description: "What can run, and starting runs" },
        { name: "runs", description: "Runs: inspect, answer, retry, cancel" },
        { name: "checkpoints", description: "A run's state, checkpoint by checkpoint" },
        {
          name: "tools",
          description:
            "Polar operations and the workflows as schema-enforced tools for agents (also over MCP at /mcp)",
        },
        { name: "health", description: "Liveness and readiness" },
      ],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
}

export const openapiPlugin = fp(openapi, { name: "openapi" });
