import {
  PolarClientError,
  PolarNetworkError,
  PolarRateLimitError,
  PolarServerError,
} from "@polar-sh/sdk";
import { PolarGatewayError } from "./errors.ts";

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/**
 * Client-side fixed window, like Polar's own limiter: at most `requestsPerWindow` calls start
 * in any minute-aligned window. The budget belongs to one token (one organization) and is shared
 * by every tenant using that token: once it is spent, waiting calls are served one tenant at a
 * time, in turn, at each new window — so a tenant with a long backlog cannot starve one with a
 * single call. A call whose turn would come later than `maxWaitMs` gets a retryable rate-limit
 * error instead of waiting.
 */
export class FixedWindowLimiter {
  readonly requestsPerWindow: number;
  readonly windowMs: number;
  private readonly maxWaitMs: number;
  private readonly clock: Clock;
  private windowStart = 0;
  private used = 0;
  /** Waiting calls by tenant; the map's order is the order of turns. */
  private readonly waiting = new Map<string, (() => void)[]>();
  private draining = false;

  constructor(options: {
    requestsPerWindow: number;
    windowMs?: number;
    maxWaitMs?: number;
    clock?: Clock;
  }) {
    this.requestsPerWindow = options.requestsPerWindow;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxWaitMs = options.maxWaitMs ?? this.windowMs;
    this.clock = options.clock ?? systemClock;
  }

  /** `maxWaitMs` overrides the limiter's own bound for this call (impatient callers). */
  acquire(options: { tenant?: string; maxWaitMs?: number } = {}): Promise<void> {
    const tenant = options.tenant ?? "";
    const now = this.roll();
    if (this.waiting.size === 0 && this.used < this.requestsPerWindow) {
      this.used += 1;
      return Promise.resolve();
    }
    const wait = this.turnIn(tenant, now);
    if (wait > (options.maxWaitMs ?? this.maxWaitMs)) {
      return Promise.reject(
        new PolarGatewayError(
          "polar_rate_limited",
          `polar-flows' own Polar budget (${this.requestsPerWindow} requests per ${this.windowMs / 1000}s) is spent`,
          { retryAfterSeconds: Math.ceil(wait / 1000) },
        ),
      );
    }
    return new Promise((resolve) => {
      const queue = this.waiting.get(tenant) ?? [];
      queue.push(resolve);
      this.waiting.set(tenant, queue);
      void this.drain();
    });
  }

  /** The current window, started afresh when the clock has moved past the last one. */
  private roll(): number {
    const now = this.clock.now();
    const currentWindow = now - (now % this.windowMs);
    if (currentWindow !== this.windowStart) {
      this.windowStart = currentWindow;
      this.used = 0;
    }
    return now;
  }

  /** How long a new call of `tenant` would wait for its turn (turns alternate by tenant). */
  private turnIn(tenant: string, now: number): number {
    const turn = (this.waiting.get(tenant)?.length ?? 0) + 1;
    let ahead = turn - 1;
    for (const [other, queue] of this.waiting) {
      if (other !== tenant) ahead += Math.min(queue.length, turn);
    }
    const windowsLater = Math.floor((ahead + this.used) / this.requestsPerWindow);
    return this.windowStart + windowsLater * this.windowMs - now;
  }

  /** At each new window, hands the budget out one call per tenant in turn, until it is spent. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.waiting.size > 0) {
        const now = this.roll();
        if (this.used >= this.requestsPerWindow) {
          await this.clock.sleep(this.windowStart + this.windowMs - now);
          continue;
        }
        while (this.used < this.requestsPerWindow && this.waiting.size > 0) {
          const [tenant, queue] = this.waiting.entries().next().value as [string, (() => void)[]];
          this.waiting.delete(tenant);
          const next = queue.shift()!;
          // Back of the line for its next call.
          if (queue.length > 0) this.waiting.set(tenant, queue);
          this.used += 1;
          next();
        }
      }
    } finally {
      this.draining = false;
    }
  }
}

export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A `retry-after` longer than this is not waited for: the error goes to the caller. */
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 60_000,
};

/** Turns an SDK error into the gateway's error model. */
export function classifyPolarError(error: unknown, operation: string): PolarGatewayError {
  if (error instanceof PolarGatewayError) return error;
  if (error instanceof PolarRateLimitError) {
    return new PolarGatewayError("polar_rate_limited", `Polar rate limit hit during ${operation}`, {
      status: 429,
      retryAfterSeconds: error.retryAfter,
      cause: error,
    });
  }
  if (error instanceof PolarClientError) {
    const detail = describeClientError(error.error);
    return new PolarGatewayError(
      "polar_rejected",
      `Polar rejected ${operation} (${error.statusCode}): ${detail.message}`,
      { status: error.statusCode, issues: detail.issues, cause: error },
    );
  }
  // Polar's (or a proxy's) body stays on `cause`, for the log: it is not ours to pass on.
  if (error instanceof PolarServerError) {
    // The SDK keeps the status only in its message ("…: 503 - <body>").
    const status = Number(/\b(5\d\d)\b/.exec(error.message)?.[1] ?? 0) || null;
    return new PolarGatewayError(
      "polar_unavailable",
      `Polar unavailable during ${operation}${status ? ` (HTTP ${status})` : ""}`,
      { status, cause: error },
    );
  }
  if (error instanceof PolarNetworkError) {
    return new PolarGatewayError("polar_unavailable", `Polar unreachable during ${operation}`, {
      cause: error,
    });
  }
  return new PolarGatewayError("polar_unavailable", `Polar call ${operation} failed`, {
    cause: error,
  });
}

/**
 * What a 4xx said, as far as it is Polar's structured answer: its validation issues, or its
 * `error` type and `detail` sentence. Anything else (a proxy's page, a body we cannot read) is
 * not repeated.
 */
function describeClientError(body: unknown): {
  message: string;
  issues: { path: string; message: string }[];
} {
  if (body && typeof body === "object") {
    const { error, detail } = body as { error?: unknown; detail?: unknown };
    if (Array.isArray(detail)) {
      const issues = detail.map((item) => {
        const { loc, msg } = (item ?? {}) as { loc?: unknown[]; msg?: unknown };
        return {
          path: Array.isArray(loc) ? loc.filter((part) => part !== "body").join(".") : "",
          message: String(msg ?? "invalid"),
        };
      });
      return { message: issues.map((i) => `${i.path}: ${i.message}`).join("; "), issues };
    }
    const parts = [error, detail]
      .filter((part): part is string => typeof part === "string")
      .map((part) => part.replace(/[\p{Cc}\p{Cf}]+/gu, " ").slice(0, 300));
    if (parts.length > 0) return { message: parts.join(": "), issues: [] };
  }
  return { message: "no detail polar-flows could read", issues: [] };
}

export type RetryListener = (info: {
  operation: string;
  attempt: number;
  delayMs: number;
  error: PolarGatewayError;
}) => void;

/**
 * Runs `attempt` until it succeeds, retrying what is worth retrying: 429 after `retry-after`,
 * 5xx and network errors with jittered exponential backoff. Everything else fails at once.
 * `worthRetrying` narrows that further (writes retry only what Polar refused unread).
 * `onRetry` sees each retry (logging, tests).
 */
export async function withRetries<T>(
  operation: string,
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  clock: Clock,
  onRetry?: RetryListener,
  worthRetrying: (error: PolarGatewayError) => boolean = (error) => error.retryable,
): Promise<T> {
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt();
    } catch (raw) {
      if (isAbort(raw)) throw raw;
      const error = classifyPolarError(raw, operation);
      if (!worthRetrying(error) || attemptNumber >= policy.maxAttempts) throw error;
      const delayMs = retryDelay(error, attemptNumber, policy, clock);
      if (delayMs === null) throw error;
      onRetry?.({ operation, attempt: attemptNumber, delayMs, error });
      await clock.sleep(delayMs);
    }
  }
}

function retryDelay(
  error: PolarGatewayError,
  attemptNumber: number,
  policy: RetryPolicy,
  clock: Clock,
): number | null {
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attemptNumber - 1));
  const jitter = clock.random() * backoff * 0.5;
  if (error.retryAfterSeconds !== null) {
    const retryAfterMs = error.retryAfterSeconds * 1000;
    if (retryAfterMs > policy.maxRetryAfterMs) return null;
    return retryAfterMs + jitter;
  }
  return backoff / 2 + jitter;
}

/** The caller gave up (a cancelled run): not Polar's failure, never retried. */
export function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}

export function abortError(): Error {
  return new DOMException("the run was cancelled", "AbortError");
}
