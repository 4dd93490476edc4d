/** Fault injection: a fixed-window rate limiter like Polar's, random 429/503 answers and latency. */

export interface RateLimit {
  /** Requests allowed per window. */
  requests: number;
  windowMs: number;
}

export interface FaultOptions {
  /** Share of requests (0–1) answered 429 at random, with `retry-after: retryAfterSeconds`. */
  rate429?: number;
  /** Share of requests (0–1) answered 503 at random. */
  rate503?: number;
  /** `retry-after` of the random 429s (default 1). */
  retryAfterSeconds?: number;
  /** Delay before every `/v1` answer. */
  latencyMs?: number;
  /** A fixed-window limit shared by all requests (Polar's is per organization); null turns it off. */
  rateLimit?: RateLimit | null;
  /** Seed of the generator behind the random faults, for repeatable runs (default 1). */
  seed?: number;
}

export interface FaultSettings {
  rate429: number;
  rate503: number;
  retryAfterSeconds: number;
  latencyMs: number;
  rateLimit: RateLimit | null;
  seed: number;
}

export type FaultDecision =
  | { kind: "pass" }
  | { kind: "rate_limited"; retryAfterSeconds: number }
  | { kind: "unavailable" };

/** mulberry32: a small, fast, seedable generator. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export class Faults {
  private settings: FaultSettings;
  private random: () => number;
  private windowStart = 0;
  private windowCount = 0;

  constructor(options: FaultOptions = {}) {
    this.settings = {
      rate429: options.rate429 ?? 0,
      rate503: options.rate503 ?? 0,
      retryAfterSeconds: options.retryAfterSeconds ?? 1,
      latencyMs: options.latencyMs ?? 0,
      rateLimit: options.rateLimit ?? null,
      seed: options.seed ?? 1,
    };
    this.random = seededRandom(this.settings.seed);
  }

  current(): FaultSettings {
    return {
      ...this.settings,
      rateLimit: this.settings.rateLimit && { ...this.settings.rateLimit },
    };
  }

  /** Changes some settings; a new seed restarts the generator, a new rate limit a fresh window. */
  update(partial: FaultOptions): FaultSettings {
    const next = { ...this.settings };
    for (const [key, value] of Object.entries(partial)) {
      if (value !== undefined) Object.assign(next, { [key]: value });
    }
    if (partial.seed !== undefined) this.random = seededRandom(partial.seed);
    if (partial.rateLimit !== undefined) this.windowCount = 0;
    this.settings = next;
    return this.current();
  }

  /** Decides the fate of one request at wall-clock time `nowMs`. */
  decide(nowMs: number): FaultDecision {
    const { rate429, rate503, retryAfterSeconds, rateLimit } = this.settings;
    if (rate503 > 0 || rate429 > 0) {
      const roll = this.random();
      if (roll < rate503) return { kind: "unavailable" };
      if (roll < rate503 + rate429) return { kind: "rate_limited", retryAfterSeconds };
    }
    if (rateLimit !== null) {
      if (this.windowCount === 0 || nowMs - this.windowStart >= rateLimit.windowMs) {
        this.windowStart = nowMs;
        this.windowCount = 0;
      }
      if (this.windowCount >= rateLimit.requests) {
        const remainingMs = this.windowStart + rateLimit.windowMs - nowMs;
        return {
          kind: "rate_limited",
          retryAfterSeconds: Math.max(1, Math.ceil(remainingMs / 1000)),
        };
      }
      this.windowCount++;
    }
    return { kind: "pass" };
  }

  latencyMs(): number {
    return this.settings.latencyMs;
  }
}
