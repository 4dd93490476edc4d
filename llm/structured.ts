/**
 * One structured question to the model, answered within a short, bounded time or not at all.
 * A billing run never waits long for the model and never fails because of it: every failure
 * comes back as a reason (safe to store — no provider message, no key), and the caller
 * falls back to its deterministic path.
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { OutputParserException } from "@langchain/core/output_parsers";
import { z } from "zod";

export interface ModelPolicy {
  /** Attempts in all, the first one included. Only quick failures (429, 5xx, no connection) are retried. */
  maxAttempts: number;
  /** Each attempt is abandoned after this long. */
  attemptTimeoutMs: number;
  /** Pause before a retry (jittered up to twice this). */
  retryDelayMs: number;
  /** A 429 asking to wait longer than this is not retried. */
  maxRetryAfterMs: number;
}

export const defaultModelPolicy: ModelPolicy = {
  maxAttempts: 2,
  attemptTimeoutMs: 10_000,
  retryDelayMs: 150,
  maxRetryAfterMs: 1_000,
};

export interface ModelQuestion<T> {
  /** Names the structured output (the JSON schema or tool name the server sees). */
  name: string;
  schema: z.ZodType<T>;
  system: string;
  user: string;
}

export type ModelAnswer<T> =
  | { ok: true; value: T; attempts: number }
  | { ok: false; reason: string; attempts: number };

export async function askModel<T extends Record<string, unknown>>(
  model: BaseChatModel,
  question: ModelQuestion<T>,
  options: { signal?: AbortSignal; policy?: ModelPolicy } = {},
): Promise<ModelAnswer<T>> {
  const policy = options.policy ?? defaultModelPolicy;
  const structured = model.withStructuredOutput<T>(question.schema, { name: question.name });
  const messages = [
    { role: "system", content: question.system },
    { role: "user", content: question.user },
  ];
  for (let attempt = 1; ; attempt++) {
    try {
      const value = await structured.invoke(messages, {
        timeout: policy.attemptTimeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return { ok: true, value, attempts: attempt };
    } catch (error) {
      // A cancelled run stops here; it does not carry on with a template.
      if (options.signal?.aborted) throw error;
      const failure = classifyModelError(error, policy);
      if (!failure.retryable || attempt >= policy.maxAttempts) {
        return { ok: false, reason: failure.reason, attempts: attempt };
      }
      const delay = failure.retryAfterMs ?? policy.retryDelayMs * (1 + Math.random());
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

interface ModelFailure {
  reason: string;
  retryable: boolean;
  retryAfterMs?: number;
}

/**
 * A draft the model writes, used only when `check` finds nothing wrong with it; otherwise the
 * reason it was not used (the caller falls back to its template).
 */
export async function askForCheckedDraft<T extends Record<string, unknown>>(
  model: BaseChatModel,
  question: ModelQuestion<T>,
  check: (draft: T) => string[],
  options: { signal?: AbortSignal; policy?: ModelPolicy } = {},
): Promise<ModelAnswer<T>> {
  const answer = await askModel(model, question, options);
  if (!answer.ok) return answer;
  const problems = check(answer.value);
  return problems.length > 0
    ? {
        ok: false,
        reason: `model draft rejected: ${problems.join("; ")}`,
        attempts: answer.attempts,
      }
    : answer;
}

/** What went wrong, in words of our own: provider messages may quote (masked) keys. */
export function classifyModelError(error: unknown, policy: ModelPolicy): ModelFailure {
  const status = statusOf(error);
  const name = error instanceof Error ? error.name : "";
  const kind = error instanceof Error ? error.constructor.name : "";
  if (status === 429) {
    const retryAfterMs = retryAfterOf(error);
    if (retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs) {
      return {
        reason: `model server rate-limited the request (retry after ${Math.ceil(retryAfterMs / 1000)} s)`,
        retryable: false,
      };
    }
    return {
      reason: "model server rate-limited the request (429)",
      retryable: true,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
  if (status !== undefined && status >= 500) {
    return { reason: `model server failed (${status})`, retryable: true };
  }
  if (status !== undefined) {
    return { reason: `model server refused the request (${status})`, retryable: false };
  }
  if (name === "TimeoutError" || name === "AbortError") {
    return {
      reason: `model did not answer within ${policy.attemptTimeoutMs / 1000} s`,
      retryable: false,
    };
  }
  if (kind === "APIConnectionError") {
    return { reason: "model server unreachable", retryable: true };
  }
  if (error instanceof SyntaxError) {
    return { reason: "model output is not valid JSON", retryable: false };
  }
  if (error instanceof z.core.$ZodError) {
    return { reason: "model output does not fit the expected shape", retryable: false };
  }
  if (error instanceof OutputParserException) {
    return { reason: "model output is not JSON of the expected shape", retryable: false };
  }
  return { reason: `model call failed (${kind || "unknown error"})`, retryable: false };
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const status = (error as { status?: unknown }).status;
  return typeof status === "number" ? status : undefined;
}

function retryAfterOf(error: unknown): number | undefined {
  const headers = (error as { headers?: unknown }).headers;
  const raw =
    headers instanceof Headers
      ? headers.get("retry-after")
      : typeof headers === "object" && headers !== null
        ? (headers as Record<string, string | undefined>)["retry-after"]
        : undefined;
  if (!raw) return undefined;
  const seconds = Number(raw);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
