/**
 * The OpenAPI 3.1 document, generated from the routes' zod schemas, at `/openapi.json`, and
 * Swagger UI at `/docs`. Registered before the routes, so that it sees them all. Typed clients
 * are generated from this document, so it is kept as a contract: every operation has an
 * `operationId`, its security stated (a bearer key, or `[]` for open), and the 4xx answers it
 * really gives; the suite lints it with Redocly (docs/api.md).
 */
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { jsonSchemaTransform, jsonSchemaTransformObject } from "fastify-type-provider-zod";
import packageJson from "../../package.json" with { type: "json" };
import { listenUrl } from "../config.ts";
import { addProblemAnswers } from "../routes/common.ts";

export interface OpenapiOptions {
  /** `API_KEYS` is set: the bearer scheme exists (the auth plugin puts it on its routes). */
  bearerAuth: boolean;
  /** `PUBLIC_URL`; null: the address the service listens on. */
  publicUrl: string | null;
}

type Components = { schemas?: Record<string, unknown> };

const SCHEMA_REF = "#/components/schemas/";

/** Every component schema named by a `$ref` anywhere in `value`. */
function schemaRefs(value: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) schemaRefs(item, into);
  } else if (typeof value === "object" && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      if (key === "$ref" && typeof child === "string" && child.startsWith(SCHEMA_REF)) {
        into.add(child.slice(SCHEMA_REF.length));
      } else schemaRefs(child, into);
    }
  }
  return into;
}

/**
 * Drops component schemas no operation reaches: the zod provider writes an input and an output
 * variant of every registered schema, and most are only ever read or only ever written.
 */
function withoutUnusedSchemas<Doc extends object>(document: Doc): Doc {
  const { components = {}, ...rest } = document as { components?: Components };
  const all = components.schemas ?? {};
  const used = schemaRefs({ ...rest, components: { ...components, schemas: {} } }, new Set());
  for (const name of used) schemaRefs(all[name], used);
  const schemas = Object.fromEntries(Object.entries(all).filter(([name]) => used.has(name)));
  return { ...rest, components: { ...components, schemas } } as unknown as Doc;
}

async function openapi(app: FastifyInstance, options: OpenapiOptions) {
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "polar-flows",
        version: packageJson.version,
        description:
          "Billing workflows against Polar as durable, checkpointed LangGraph runs: start a run, answer its approvals, inspect every checkpoint.",
        license: { name: packageJson.license, identifier: packageJson.license },
      },
      components: options.bearerAuth
        ? {
            securitySchemes: {
              bearer: { type: "http", scheme: "bearer", description: "A key from `API_KEYS`." },
            },
          }
        : {},
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
    transformObject: (input) => withoutUnusedSchemas(jsonSchemaTransformObject(input)),
  });

  // Any request with a body can be malformed JSON (400), too large (413) or not JSON (415).
  app.addHook("onRoute", (route) => {
    const methods = [route.method].flat();
    if (methods.some((method) => ["POST", "PUT", "PATCH"].includes(method))) {
      addProblemAnswers(route, 400, 413, 415);
    }
  });

  /** The document with `servers`: `PUBLIC_URL`, else `origin` (the listen address by default). */
  const withServer = (document: Record<string, unknown>, origin?: string) => {
    const address = app.server.address();
    const listening =
      typeof address === "object" && address !== null
        ? listenUrl(address.address, address.port)
        : undefined;
    const url = options.publicUrl ?? origin ?? listening;
    const { openapi: version, info, ...rest } = document;
    return { openapi: version, info, ...(url ? { servers: [{ url }] } : {}), ...rest };
  };
  const requestOrigin = (request: FastifyRequest) => `${request.protocol}://${request.host}`;

  await app.register(swaggerUi, {
    routePrefix: "/docs",
    // "Try it out" goes where the browser already is, whatever address it took to get here.
    transformSpecification: (document, request) => withServer(document, requestOrigin(request)),
  });
  app.get("/openapi.json", { schema: { hide: true } }, async () =>
    withServer(app.swagger() as unknown as Record<string, unknown>),
  );
}

export const openapiPlugin = fp(openapi, { name: "openapi" });
