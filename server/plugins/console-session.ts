/**
 * The console's sessions: after signing in with an approver key, the browser holds a signed,
 * HttpOnly, SameSite=Strict cookie naming the key's tenant and name, when the session ends, and
 * a fingerprint of the key — never the key itself. Any replica with the same `API_KEYS` checks
 * it (the signing secret is derived from the keys), so sessions need no shared state; changing
 * or removing a key, or demoting it to agent, ends its sessions.
 *
 * CSRF: the cookie is only honoured on requests carrying the `X-Polar-Flows-Console` header
 * (a cross-site page cannot send it without a CORS preflight, which this service never grants)
 * and, when the browser sends an `Origin`, only from the service's own origin.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import cookie from "@fastify/cookie";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { Actor } from "../../lib/actor.ts";
import type { ApiKey } from "../api-keys.ts";
import { ProblemError } from "../problem.ts";

export const CONSOLE_HEADER = "x-polar-flows-console";
export const SESSION_COOKIE = "polar_flows_console";
const SESSION_SECONDS = 12 * 60 * 60;

export interface ConsoleSession {
  /**
   * The actor of the request's console session: null when the request is not the console's
   * (no header) or has no session; throws 401 for a session that ended or no longer holds.
   */
  actor(request: FastifyRequest): Promise<Actor | null>;
  /** Starts a session for the key (an approver's) on the reply. */
  open(reply: FastifyReply, key: ApiKey): void;
  close(reply: FastifyReply): void;
  /** Throws 403 unless the request carries the console header and comes from our origin. */
  assertFromConsole(request: FastifyRequest): void;
}

declare module "fastify" {
  interface FastifyInstance {
    consoleSession: ConsoleSession;
  }
}

export interface ConsoleSessionOptions {
  apiKeys: readonly ApiKey[] | null;
  publicUrl: string | null;
  /** Session length (tests). */
  sessionSeconds?: number;
}

interface SessionClaims {
  tenant: string;
  name: string;
  /** Unix seconds. */
  expires: number;
  fingerprint: string;
}

async function consoleSession(app: FastifyInstance, options: ConsoleSessionOptions) {
  const keys = options.apiKeys ?? [];
  const secret = createHash("sha256")
    .update("polar-flows console session\0")
    .update(
      keys
        .map((key) => key.key)
        .sort()
        .join("\0"),
    )
    .digest();
  await app.register(cookie, { secret });
  const fingerprint = (key: string) =>
    createHmac("sha256", secret).update(key).digest("base64url").slice(0, 22);
  const lifetime = options.sessionSeconds ?? SESSION_SECONDS;
  const publicOrigin = options.publicUrl ? new URL(options.publicUrl).origin : null;

  const cookieOptions = (request: FastifyRequest) => ({
    path: "/",
    httpOnly: true,
    sameSite: "strict" as const,
    secure: request.protocol === "https" || publicOrigin?.startsWith("https:") === true,
  });

  const assertFromConsole = (request: FastifyRequest) => {
    if (request.headers[CONSOLE_HEADER] !== "1") {
      throw new ProblemError(403, `Console requests carry the ${CONSOLE_HEADER} header.`);
    }
    const origin = request.headers.origin;
    const own = `${request.protocol}://${request.host}`;
    if (origin !== undefined && origin !== own && origin !== publicOrigin) {
      throw new ProblemError(403, "A console request from another origin is refused.");
    }
  };

  const ended = () =>
    new ProblemError(401, "Your console session has ended; sign in again with your API key.");

  const session: ConsoleSession = {
    async actor(request) {
      if (request.headers[CONSOLE_HEADER] === undefined) return null;
      const raw = request.cookies[SESSION_COOKIE];
      if (raw === undefined) return null;
      assertFromConsole(request);
      const unsigned = request.unsignCookie(raw);
      if (!unsigned.valid || unsigned.value === null) throw ended();
      let claims: SessionClaims;
      try {
        claims = JSON.parse(Buffer.from(unsigned.value, "base64url").toString("utf8"));
      } catch {
        throw ended();
      }
      if (!(claims.expires > Date.now() / 1000)) throw ended();
      const key = keys.find((one) => one.tenant === claims.tenant && one.name === claims.name);
      const expected = key ? Buffer.from(fingerprint(key.key)) : null;
      const presented = Buffer.from(String(claims.fingerprint));
      const same =
        expected !== null &&
        expected.length === presented.length &&
        timingSafeEqual(expected, presented);
      if (!key || !same || key.role !== "approver") throw ended();
      return { tenant: key.tenant, name: key.name, role: key.role };
    },
    open(reply, key) {
      const claims: SessionClaims = {
        tenant: key.tenant,
        name: key.name,
        expires: Math.floor(Date.now() / 1000) + lifetime,
        fingerprint: fingerprint(key.key),
      };
      const value = Buffer.from(JSON.stringify(claims)).toString("base64url");
      reply.setCookie(SESSION_COOKIE, value, {
        ...cookieOptions(reply.request),
        signed: true,
        maxAge: lifetime,
      });
    },
    close(reply) {
      reply.clearCookie(SESSION_COOKIE, cookieOptions(reply.request));
    },
    assertFromConsole,
  };
  app.decorate("consoleSession", session);
}

export const consoleSessionPlugin = fp(consoleSession, { name: "console-session" });
