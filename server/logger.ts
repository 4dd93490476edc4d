/**
 * The service's pino logger. Secrets are kept out at the source (the configuration is never
 * logged, run errors are logged as their classified JSON); the redaction paths are the second
 * line, for anything that logs request headers.
 */
import pino from "pino";
import type { ConnectionNotice } from "../storage/index.ts";

export const REDACTED_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  "req.headers['idempotency-key']",
  "headers.authorization",
  "authorization",
  "accessToken",
  "apiKey",
  "*.accessToken",
  "*.apiKey",
];

export function createLogger(options: { level: string; destination?: pino.DestinationStream }) {
  return pino(
    { level: options.level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } },
    options.destination ?? pino.destination(1),
  );
}

/** One line per PostgreSQL connection lost (by role) and one when the database answers again. */
export function logConnectionNotice(logger: pino.BaseLogger, notice: ConnectionNotice): void {
  if (notice.kind === "lost") {
    const code = notice.code ? ` ${notice.code}` : "";
    logger.warn(
      { role: notice.role, code: notice.code },
      `lost a PostgreSQL connection (${notice.role}):${code} ${notice.message}`,
    );
  } else {
    const lost = Object.entries(notice.lost).map(([role, count]) => `${role} ${count}`);
    logger.info(
      { down_ms: notice.downMs, lost: notice.lost },
      `PostgreSQL answers again after ${(notice.downMs / 1000).toFixed(1)} s (connections lost: ${lost.join(", ")})`,
    );
  }
}
