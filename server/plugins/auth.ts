/**
 * Bearer keys per tenant (`API_KEYS`). Registered inside the `/v1` scope: every route there
 * needs `Authorization: Bearer <key>` and sees only its tenant's runs. Keys are compared in
 * constant time, over their hashes, against every configured key. Without keys, auth is off and
 * everything belongs to the tenant `default`.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { ProblemError } from "../problem.ts";
import { addProblemAnswers } from "../routes/common.ts";

export const DEFAULT_TENANT = "default";

declare module "fastify" {
  interface FastifyRequest {
    /** Whose runs this request may see. */
    tenant: string;
  }
}

export interface AuthOptions {
  /** tenant → key; null: auth off. */
  apiKeys: ReadonlyMap<string, string> | null;
}

const digest = (value: string) => createHash("sha256").update(value).digest();

function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "");
  return match ? match[1]! : null;
}

async function auth(app: FastifyInstance, options: AuthOptions) {
  app.decorateRequest("tenant", "");
  const keys = options.apiKeys
    ? [...options.apiKeys].map(([tenant, key]) => ({ tenant, digest: digest(key) }))
    : null;

  // The document says which: a bearer key and its 401, or explicitly open (`security: []`).
  app.addHook("onRoute", (route) => {
    route.schema = { ...route.schema, security: keys ? [{ bearer: [] }] : [] };
    if (keys) addProblemAnswers(route, 401);
  });

  app.addHook("onRequest", async (request, reply) => {
    if (!keys) {
      request.tenant = DEFAULT_TENANT;
      return;
    }
    const token = bearerToken(request.headers.authorization);
    const presented = digest(token ?? "");
    let tenant: string | null = null;
    // No early exit: the time taken does not depend on which key (if any) matched.
    for (const key of keys) {
      if (timingSafeEqual(key.digest, presented) && token !== null && tenant === null)
        tenant = key.tenant;
    }
    if (tenant === null) {
      reply.header("www-authenticate", 'Bearer realm="polar-flows"');
      throw new ProblemError(
        401,
        token === null
          ? "Send your API key as `Authorization: Bearer <key>`."
          : "The API key is not valid.",
      );
    }
    request.tenant = tenant;
  });
}

export const authPlugin = fp(auth, { name: "auth" });
