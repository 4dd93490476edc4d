/**
 * Idempotency keys: a request repeated with the same key and body answers the first run; the
 * same key with another body is refused; and while the first request with a key is still being
 * answered, a repeat is told so rather than racing it.
 */
import { createHash } from "node:crypto";
import { IdempotencyKeyInFlightError, IdempotencyKeyReusedError } from "./errors.ts";

export class IdempotencyKeys {
  /** tenant + key → fingerprint, while the first request with that key is answered. */
  readonly #inFlight = new Map<string, string>();

  /** Runs `answer` holding the tenant's key; a repeat meanwhile is refused (in flight, or reused). */
  async hold<T>(
    tenant: string,
    key: string,
    fingerprint: string,
    answer: () => Promise<T>,
  ): Promise<T> {
    const slot = `${tenant}\n${key}`;
    const inFlight = this.#inFlight.get(slot);
    if (inFlight !== undefined) {
      throw inFlight === fingerprint
        ? new IdempotencyKeyInFlightError()
        : new IdempotencyKeyReusedError();
    }
    this.#inFlight.set(slot, fingerprint);
    try {
      return await answer();
    } finally {
      this.#inFlight.delete(slot);
    }
  }
}

/** sha256 of canonical JSON (keys sorted at every level): equal bodies, equal fingerprints. */
export function fingerprintOf(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isPlainObject(value)) {
    const entries = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
