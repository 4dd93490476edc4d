/**
 * Failed sign-ins per client address: a fixed window of `perMinute` failures. Past it, every
 * request from that address without a valid session is refused with a 429 until the window
 * ends — a valid key too, or the answer would tell a guesser which key was right. Counts live in
 * this process (one budget per replica), like the callers' own budgets.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { ProblemError } from "./problem.ts";

const WINDOW_MS = 60_000;
const POLICY = "sign-in";
/** Addresses remembered at most; past it, expired windows are forgotten first. */
const MAX_ADDRESSES = 10_000;

export class SignInFailures {
  readonly perMinute: number;
  private readonly now: () => number;
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(perMinute: number, now: () => number = Date.now) {
    this.perMinute = perMinute;
    this.now = now;
  }

  /** Throws the 429 when the address has spent its failures for this window. */
  refuseIfSpent(request: FastifyRequest, reply: FastifyReply): void {
    const window = this.current(request.ip);
    if (!window || window.failures < this.perMinute) return;
    const seconds = this.secondsLeft(window);
    this.advertise(reply, 0, seconds);
    reply.header("retry-after", String(seconds));
    throw new ProblemError(
      "rate_limited",
      `Too many failed sign-ins from your address; retry in ${seconds} s.`,
    );
  }

  /** Counts a failed sign-in and says, on the 401 about to be sent, how many remain. */
  record(request: FastifyRequest, reply: FastifyReply): void {
    const now = this.now();
    let window = this.current(request.ip);
    if (!window) {
      if (this.windows.size >= MAX_ADDRESSES) this.forgetExpired(now);
      window = { start: now, failures: 0 };
      this.windows.set(request.ip, window);
    }
    window.failures += 1;
    this.advertise(reply, Math.max(0, this.perMinute - window.failures), this.secondsLeft(window));
  }

  private current(address: string) {
    const window = this.windows.get(address);
    if (window && this.now() - window.start >= WINDOW_MS) {
      this.windows.delete(address);
      return undefined;
    }
    return window;
  }

  private secondsLeft(window: { start: number }): number {
    return Math.max(1, Math.ceil((window.start + WINDOW_MS - this.now()) / 1000));
  }

  private advertise(reply: FastifyReply, remaining: number, seconds: number): void {
    reply.header("ratelimit-policy", `"${POLICY}";q=${this.perMinute};w=${WINDOW_MS / 1000}`);
    reply.header("ratelimit", `"${POLICY}";r=${remaining};t=${seconds}`);
  }

  private forgetExpired(now: number): void {
    for (const [address, window] of this.windows) {
      if (now - window.start >= WINDOW_MS) this.windows.delete(address);
    }
    // Still full (a flood of addresses): the oldest go first.
    for (const address of this.windows.keys()) {
      if (this.windows.size < MAX_ADDRESSES) break;
      this.windows.delete(address);
    }
  }
}
