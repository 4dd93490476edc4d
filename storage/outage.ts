/**
 * Telling "the database went away" (restart, failover, network) from every other failure: such
 * a failure is worth waiting out — a request answers 503 with Retry-After, a run step is tried
 * again from its last checkpoint — while any other error is reported as it is.
 */

/** The run error code, and the problem an API caller sees, while the store does not answer. */
export const STORE_UNAVAILABLE = "store_unavailable";

/**
 * SQLSTATE classes and codes of a lost or refused connection (PostgreSQL appendix A), and of a
 * statement cancelled by `statement_timeout` (57014): a store that does not answer in time.
 */
const LOST_SQLSTATE = /^(08...|57P0[1-3]|53300|57014)$/;
/** Socket errors of a server that restarts or cannot be reached. */
const LOST_ERRNO = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
/** node-postgres says these without a code (`Query read timeout`: its `query_timeout`). */
const LOST_MESSAGE =
  /^(Connection terminated|Client has encountered a connection error|Client was closed|timeout exceeded when trying to connect|Query read timeout)/;

/** An operation that needed the store while it did not answer. */
export class StoreUnavailableError extends Error {
  readonly code = STORE_UNAVAILABLE;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreUnavailableError";
  }
}

/** True when `error` (or what it wraps) says the database connection was lost or refused. */
export function isStoreUnavailable(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 4) return false;
  if (error instanceof StoreUnavailableError) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && (LOST_SQLSTATE.test(code) || LOST_ERRNO.has(code))) return true;
  if (LOST_MESSAGE.test(error.message)) return true;
  if (error instanceof AggregateError && error.errors.some((e) => isStoreUnavailable(e, depth + 1)))
    return true;
  return isStoreUnavailable(error.cause, depth + 1);
}

/** The SQLSTATE or socket error code, if the error has one (for logs). */
export function errorCode(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : null;
}
