/**
 * The approval console at `/console`: its pages (one HTML shell; the browser routes
 * `/console/approvals`, `/console/runs`, `/console/runs/{id}`, `/console/watches`), its assets from `console/` and
 * mermaid's browser build from node_modules (nothing from a CDN, no build step), and signing in
 * and out. Everything else the console does goes through `/v1` with its session.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyReply } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { LOCAL_ACTOR, requireApprover } from "../../lib/actor.ts";
import { type ApiKey, KeyRing } from "../api-keys.ts";
import { ProblemError } from "../problem.ts";
import { problems } from "./common.ts";
import { Whoami } from "./whoami.ts";

const CONSOLE_DIR = join(import.meta.dirname, "..", "..", "console");
const MERMAID_DIR = dirname(fileURLToPath(import.meta.resolve("mermaid")));
/** mermaid's ES module build: the entry and the chunks it imports on demand. */
const MERMAID_FILES = /^\/(mermaid\.esm\.min\.mjs|chunks\/mermaid\.esm\.min\/[\w.-]+\.mjs)$/;

/** Mermaid draws with inline styles; nothing else inline, nothing from elsewhere. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Sign-in attempts per client address per minute: keys are not guessed at browser speed. */
const SIGN_IN_PER_MINUTE = 20;

export interface ConsoleRoutesOptions {
  apiKeys: readonly ApiKey[] | null;
}

const SignInBody = z.strictObject({ key: z.string().min(1).max(500) });

export const consoleRoutes: FastifyPluginAsyncZod<ConsoleRoutesOptions> = async (app, options) => {
  const ring = options.apiKeys ? new KeyRing(options.apiKeys) : null;

  const securityHeaders = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
  };
  await app.register(fastifyStatic, {
    root: CONSOLE_DIR,
    prefix: "/console/assets/",
    index: false,
    cacheControl: false,
    setHeaders: (response) => {
      response.header("cache-control", "no-cache");
      response.header("x-content-type-options", "nosniff");
    },
  });
  await app.register(fastifyStatic, {
    root: MERMAID_DIR,
    prefix: "/console/vendor/mermaid/",
    decorateReply: false,
    index: false,
    allowedPath: (pathName) => MERMAID_FILES.test(pathName),
    // The version is in package.json; its files never change under a name.
    maxAge: "1d",
  });

  const page = { schema: { hide: true } };
  const shell = async (_request: unknown, reply: FastifyReply) =>
    reply.headers(securityHeaders).header("cache-control", "no-store").sendFile("index.html");
  app.get("/console", page, shell);
  app.get("/console/approvals", page, shell);
  app.get("/console/runs", page, shell);
  app.get("/console/runs/:run_id", page, shell);
  app.get("/console/watches", page, shell);

  app.post(
    "/console/session",
    {
      config: { rateLimit: { max: SIGN_IN_PER_MINUTE, timeWindow: 60_000 } },
      schema: {
        hide: true,
        operationId: "signInToConsole",
        summary: "Sign in to the console with an approver key (sets the session cookie)",
        body: SignInBody,
        response: { 200: Whoami, ...problems(401, 403, 429) },
      },
    },
    async (request, reply) => {
      app.consoleSession.assertFromConsole(request);
      // Without keys (loopback only) everyone is the local approver: nothing to sign in to.
      if (!ring || !options.apiKeys) return { ...LOCAL_ACTOR };
      const actor = ring.match(request.body.key);
      if (!actor) throw new ProblemError(401, "That API key is not valid.");
      requireApprover(actor, "sign in to the console (ask for an approver key)");
      const key = options.apiKeys.find(
        (one) => one.tenant === actor.tenant && one.name === actor.name,
      )!;
      app.consoleSession.open(reply, key);
      return { tenant: actor.tenant, name: actor.name, role: actor.role };
    },
  );

  app.delete(
    "/console/session",
    {
      schema: {
        hide: true,
        operationId: "signOutOfConsole",
        summary: "Sign out of the console (clears the session cookie)",
        response: { 204: z.null(), ...problems(403) },
      },
    },
    async (request, reply) => {
      app.consoleSession.assertFromConsole(request);
      app.consoleSession.close(reply);
      return reply.code(204).send(null);
    },
  );
};
