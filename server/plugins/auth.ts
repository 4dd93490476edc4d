/**
 * Bearer keys (`API_KEYS`), each with its tenant, name and role. Registered inside the `/v1`
 * scope: every route there needs `Authorization: Bearer <key>` (or a console session, when a
 * `session` resolver is given) and sees only its tenant's runs; `request.actor` says who acts.
 * Keys are compared in constant time, over their hashes, against every configured key. Without
 * keys, auth is off and the caller is the local approver of tenant `default`.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { type Actor, LOCAL_ACTOR } from "../../lib/actor.ts";
import { type ApiKey, KeyRing } from "../api-keys.ts";
import { ProblemError } from "../problem.ts";
import { addProblemAnswers } from "../routes/common.ts";
import type { SignInFailures } from "../sign-in-failures.ts";

export const DEFAULT_TENANT = LOCAL_ACTOR.tenant;

declare module "fastify" {
  interface FastifyRequest {
    /** Whose runs this request may see. */
    tenant: string;
    /** Who makes the request: the key's tenant, name and role. */
    actor: Actor;
  }
}

export interface AuthOptions {
  /** null: auth off. */
  apiKeys: readonly ApiKey[] | null;
  /**
   * Another way in than a bearer key (the console's session cookie): the actor, or null when
   * the request carries none. Throws a ProblemError for a session that is there but not valid.
   */
  session?: (request: FastifyRequest) => Promise<Actor | null>;
  /** Failed sign-ins per address, shared by every scope that signs in (401s count, then 429). */
  failures?: SignInFailures;
  /** Also take the key from `x-api-key` (as LangGraph's SDK sends it). */
  apiKeyHeader?: boolean;
}

function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "");
  return match ? match[1]! : null;
}

async function auth(app: FastifyInstance, options: AuthOptions) {
  app.decorateRequest("tenant", "");
  app.decorateRequest("actor", null as unknown as Actor);
  const keys = options.apiKeys ? new KeyRing(options.apiKeys) : null;

  // The document says which: a bearer key and its 401, or explicitly open (`security: []`).
  app.addHook("onRoute", (route) => {
    route.schema = { ...route.schema, security: keys ? [{ bearer: [] }] : [] };
    if (keys) addProblemAnswers(route, 401);
    if (keys && options.failures) addProblemAnswers(route, 429);
  });

  app.addHook("onRequest", async (request, reply) => {
    if (!keys) {
      request.actor = LOCAL_ACTOR;
      request.tenant = LOCAL_ACTOR.tenant;
      return;
    }
    const headerKey = options.apiKeyHeader ? request.headers["x-api-key"] : undefined;
    const token =
      bearerToken(request.headers.authorization) ??
      (typeof headerKey === "string" && headerKey !== "" ? headerKey : null);
    if (token === null && options.session) {
      const actor = await options.session(request);
      if (actor) {
        request.actor = actor;
        request.tenant = actor.tenant;
        return;
      }
    }
    // Before any key is compared: a guesser learns nothing more once the address is spent.
    options.failures?.refuseIfSpent(request, reply);
    const actor = token === null ? null : keys.match(token);
    if (actor === null) {
      options.failures?.record(request, reply);
      reply.header("www-authenticate", 'Bearer realm="polar-flows"');
      throw new ProblemError(
        401,
        token === null
          ? `Send your API key as \`Authorization: Bearer <key>\`${options.apiKeyHeader ? " or `x-api-key: <key>`" : ""}.`
          : "The API key is not valid.",
      );
    }
    request.actor = actor;
    request.tenant = actor.tenant;
  });
}

export const authPlugin = fp(auth, { name: "auth" });
