/**
 * How every request reaches Polar, on the official SDK: paced below the organization's rate
 * limit, checked with zod, paged, and retried — reads on any retryable failure, writes only
 * when Polar refused them unread (a rate limit). After a 5xx or a lost answer a write may have
 * happened, so it is not repeated here: the caller looks before it writes again (`retried`).
 */
import { createPolar } from "@polar-sh/sdk/2026-10";
import type { z } from "zod";
import { fieldIssues, validate } from "../lib/validation.ts";
import { invalidRequest, PolarGatewayError } from "./errors.ts";
import {
  abortError,
  type Clock,
  defaultRetryPolicy,
  FixedWindowLimiter,
  type RetryListener,
  type RetryPolicy,
  systemClock,
  withRetries,
} from "./pacing.ts";
import { pageOf } from "./schemas.ts";

export type PolarSdk = ReturnType<typeof createPolar>;

export interface PolarTransportOptions {
  accessToken: string;
  environment?: "sandbox" | "production";
  baseUrl?: string;
  /** Requests per minute polar-flows allows itself; null: no client-side limit. */
  requestsPerMinute?: number | null;
  retryPolicy?: Partial<RetryPolicy>;
  /** Per-request timeout in seconds. */
  timeoutSeconds?: number;
  clock?: Clock;
  onRetry?: RetryListener;
}

/** Items per list page: Polar's maximum. */
export const PAGE_LIMIT = 100;

/** One page of a list, for callers that page themselves (tools with a cursor). */
export interface ListPage<T> {
  items: T[];
  has_more: boolean;
  /** When Polar says (page-number pagination). */
  total_count: number | null;
}

/** What a transport shares with its views: one client, one request budget, one count. */
interface Connection {
  sdk: PolarSdk;
  limiter: FixedWindowLimiter | null;
  retryPolicy: RetryPolicy;
  clock: Clock;
  onRetry: RetryListener | undefined;
  sent: { requests: number };
}

/** How a view sends differently from the transport it was made from. */
interface ViewSettings {
  /** Longest wait for the budget or a `retry-after`; unset: the limiter's and the policy's. */
  maxWaitMs?: number;
  /** Once aborted (the run was cancelled), nothing more is sent. */
  signal?: AbortSignal;
  /** Throws to stop a write at the last moment: after any wait for the budget, before sending. */
  beforeWrite?: () => void;
  /** Whose calls these are: the token's budget is shared fairly between tenants. */
  tenant?: string;
}

type Call = (sdk: PolarSdk) => Promise<unknown>;

export class PolarTransport {
  private readonly connection: Connection;
  private readonly view: ViewSettings;

  static open(options: PolarTransportOptions): PolarTransport {
    const clock = options.clock ?? systemClock;
    return new PolarTransport(
      {
        sdk: createPolar({
          accessToken: options.accessToken,
          environment: options.environment ?? "sandbox",
          ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
          timeout: options.timeoutSeconds ?? 15,
        }),
        limiter:
          options.requestsPerMinute != null
            ? new FixedWindowLimiter({ requestsPerWindow: options.requestsPerMinute, clock })
            : null,
        retryPolicy: { ...defaultRetryPolicy, ...options.retryPolicy },
        clock,
        onRetry: options.onRetry,
        sent: { requests: 0 },
      },
      {},
    );
  }

  private constructor(connection: Connection, view: ViewSettings) {
    this.connection = connection;
    this.view = view;
  }

  /** Requests sent to Polar by this transport and its views (retries included). */
  get requestCount(): number {
    return this.connection.sent.requests;
  }

  /** The clock pacing and retries go by (and checks of "not in the future"). */
  get clock(): Clock {
    return this.connection.clock;
  }

  /** The same connection and budget; a wait longer than `maxWaitMs` fails at once instead. */
  impatient(maxWaitMs: number): PolarTransport {
    return new PolarTransport(this.connection, { ...this.view, maxWaitMs });
  }

  /** The same connection and budget, its calls counted as `tenant`'s in the fair share. */
  forTenant(tenant: string): PolarTransport {
    return new PolarTransport(this.connection, { ...this.view, tenant });
  }

  /** The same connection and budget; once `signal` is aborted nothing more is sent. */
  withSignal(signal: AbortSignal): PolarTransport {
    return new PolarTransport(this.connection, { ...this.view, signal });
  }

  /** The same connection and budget; `check` runs right before each write is sent. */
  guardingWrites(check: () => void): PolarTransport {
    return new PolarTransport(this.connection, { ...this.view, beforeWrite: check });
  }

  /** A paced, validated read, retried on every retryable failure. */
  read<S extends z.ZodType>(operation: string, schema: S, call: Call): Promise<z.infer<S>> {
    return this.retried(operation, () => this.once(operation, schema, call));
  }

  /**
   * A paced, validated write, retried only when Polar refused it unread (429, or our own
   * budget) — unless it is `repeatable` (Polar de-duplicates it), when it is retried like a
   * read. Any other failure goes to the caller, who must look before writing again.
   */
  write<S extends z.ZodType>(
    operation: string,
    schema: S,
    call: Call,
    options: { repeatable?: boolean } = {},
  ): Promise<z.infer<S>> {
    return withRetries(
      operation,
      () => this.once(operation, schema, call, this.view.beforeWrite),
      this.retryPolicy,
      this.connection.clock,
      this.connection.onRetry,
      options.repeatable ? undefined : (error) => error.code === "polar_rate_limited",
    );
  }

  /**
   * Repeats `attempt` whole on every retryable failure: for reads, and for writes that look
   * before they write (find-or-create), so a repeat finds what a lost attempt made.
   */
  retried<T>(operation: string, attempt: () => Promise<T>): Promise<T> {
    return withRetries(
      operation,
      attempt,
      this.retryPolicy,
      this.connection.clock,
      this.connection.onRetry,
    );
  }

  /** Every page of a list endpoint, read and validated one at a time, in order. */
  async *pages<S extends z.ZodType>(
    operation: string,
    item: S,
    fetchPage: (sdk: PolarSdk, page: number) => Promise<unknown>,
  ): AsyncGenerator<{ items: z.infer<S>[]; hasMore: boolean }> {
    const pageSchema = pageOf(item);
    for (let page = 1; ; page++) {
      const result = await this.read(operation, pageSchema, (sdk) => fetchPage(sdk, page));
      const items = result.items as z.infer<S>[];
      const hasMore = items.length > 0 && hasNextPage(result.pagination as Pagination, page);
      yield { items, hasMore };
      if (!hasMore) return;
    }
  }

  /** Every item of a list endpoint, page by page (stop early to read no further). */
  async *items<S extends z.ZodType>(
    operation: string,
    item: S,
    fetchPage: (sdk: PolarSdk, page: number) => Promise<unknown>,
  ): AsyncGenerator<z.infer<S>> {
    for await (const page of this.pages(operation, item, fetchPage)) yield* page.items;
  }

  /** One page of a list endpoint, for callers that page themselves. */
  async page<S extends z.ZodType>(
    operation: string,
    item: S,
    page: number,
    fetchPage: (sdk: PolarSdk) => Promise<unknown>,
  ): Promise<ListPage<z.infer<S>>> {
    const result = await this.read(operation, pageOf(item), fetchPage);
    const items = result.items as z.infer<S>[];
    const pagination = result.pagination as Pagination;
    return "has_next_page" in pagination
      ? { items, has_more: pagination.has_next_page, total_count: null }
      : {
          items,
          has_more: page < pagination.max_page && items.length > 0,
          total_count: pagination.total_count,
        };
  }

  private get retryPolicy(): RetryPolicy {
    const { retryPolicy } = this.connection;
    return this.view.maxWaitMs === undefined
      ? retryPolicy
      : { ...retryPolicy, maxRetryAfterMs: this.view.maxWaitMs };
  }

  /** One paced request and the check of its answer; no retry. */
  private async once<S extends z.ZodType>(
    operation: string,
    schema: S,
    call: Call,
    beforeSending?: () => void,
  ): Promise<z.infer<S>> {
    const { signal, maxWaitMs, tenant } = this.view;
    if (signal?.aborted) throw abortError();
    await this.connection.limiter?.acquire({
      ...(tenant !== undefined ? { tenant } : {}),
      ...(maxWaitMs !== undefined ? { maxWaitMs } : {}),
    });
    if (signal?.aborted) throw abortError();
    beforeSending?.();
    this.connection.sent.requests += 1;
    return checkAnswer(operation, schema, await call(this.connection.sdk));
  }
}

/** The answer, or a `polar_invalid_response` naming the fields that drifted. */
function checkAnswer<S extends z.ZodType>(
  operation: string,
  schema: S,
  value: unknown,
): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = fieldIssues(parsed.error);
  throw new PolarGatewayError(
    "polar_invalid_response",
    `Polar's answer to ${operation} is not what polar-flows expects: ${issues
      .slice(0, 5)
      .map((issue) => `${issue.path || "(root)"}: ${issue.message}`)
      .join("; ")}`,
    { issues },
  );
}

/** Polar pages by cursor (`has_next_page`) on some lists and by number on others. */
type Pagination = { has_next_page: boolean } | { max_page: number; total_count: number };

function hasNextPage(pagination: Pagination, page: number): boolean {
  return "has_next_page" in pagination ? pagination.has_next_page : page < pagination.max_page;
}

/** The answer, or null when Polar has no such thing (404). */
export async function orNullWhenMissing<T>(call: () => Promise<T>): Promise<T | null> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof PolarGatewayError && error.status === 404) return null;
    throw error;
  }
}

/** Callers may be untyped (tools, scripts): a bad argument is refused before any request. */
export function checkInput(schema: z.ZodType, value: unknown, path: string): void {
  const checked = validate(schema, value, [path]);
  if (!checked.success) throw invalidRequest(checked.issues);
}
