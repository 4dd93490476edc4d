/**
 * The service's pino logger. Secrets are kept out at the source (the configuration is never
 * logged, run errors are logged as their classified JSON); the redaction paths are the second
 * line, for anything that logs request headers.
 */
import pino from "pino";

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
