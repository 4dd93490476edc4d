/**
 * Threads as LangGraph's API shows them: a polar-flows run, or a thread made before its first
 * run (kept in the thread store until then); their values, state and history read through the
 * run core.
 */
import { randomUUID } from "node:crypto";
import { NotFoundError, RunConflictError } from "../runs/errors.ts";
import type { CheckpointState, Run } from "../runs/schemas.ts";
import type { RunService } from "../runs/service.ts";
import type { ThreadStore } from "../storage/index.ts";
import {
  interruptsOf,
  runStatusesFor,
  type ThreadSource,
  type ThreadStatus,
  threadStateView,
  threadView,
} from "./views.ts";

export interface ThreadSearch {
  status?: ThreadStatus | undefined;
  metadata?: Record<string, unknown> | undefined;
  limit: number;
  offset: number;
  /** Fields to answer; values are read only when asked for (or when no `select` is given). */
  select?: string[] | undefined;
}

export function sourceOf(run: Run): ThreadSource {
  return {
    thread_id: run.run_id,
    status: run.status,
    workflow: run.workflow,
    metadata: run.metadata,
    interrupt: run.interrupt,
    error: run.error,
    created_at: run.created_at,
    updated_at: run.updated_at,
  };
}

export class LangGraphThreads {
  readonly #runs: RunService;
  readonly #threads: ThreadStore;

  constructor(runs: RunService, threads: ThreadStore) {
    this.#runs = runs;
    this.#threads = threads;
  }

  async createThread(
    tenant: string,
    request: {
      thread_id?: string | undefined;
      metadata?: Record<string, unknown> | undefined;
      if_exists?: string | undefined;
    },
  ) {
    const threadId = request.thread_id ?? randomUUID();
    if (request.thread_id !== undefined) {
      const own = await this.source(tenant, threadId).catch(() => null);
      if (own && request.if_exists === "do_nothing") return threadView(own, null);
    }
    const created = (await this.#threads.idTaken(threadId))
      ? null
      : await this.#threads.createPending({
          thread_id: threadId,
          tenant,
          metadata: request.metadata ?? {},
        });
    if (!created) throw new RunConflictError(`Thread ${threadId} already exists.`);
    return threadView(this.#pendingSource(created), null);
  }

  async thread(tenant: string, threadId: string) {
    const source = await this.source(tenant, threadId);
    return threadView(source, await this.values(tenant, source));
  }

  async searchThreads(tenant: string, search: ThreadSearch) {
    const filter = search.status ? runStatusesFor(search.status) : undefined;
    const found = await this.#threads.search({
      tenant,
      ...(filter ? { statuses: filter.statuses } : {}),
      pending: filter?.pending ?? true,
      ...(search.metadata ? { metadata: search.metadata } : {}),
      limit: search.limit,
      offset: search.offset,
    });
    const withValues = !search.select || search.select.includes("values");
    const threads = await Promise.all(
      found.map(async (thread) =>
        threadView(thread, withValues ? await this.values(tenant, thread) : null),
      ),
    );
    if (!search.select) return threads;
    const fields = new Set(search.select);
    return threads.map((thread) =>
      Object.fromEntries(Object.entries(thread).filter(([field]) => fields.has(field))),
    );
  }

  async state(tenant: string, threadId: string) {
    const source = await this.source(tenant, threadId);
    return threadStateView(threadId, await this.#latestState(tenant, source));
  }

  async history(
    tenant: string,
    threadId: string,
    page: { limit: number; before?: string | undefined },
  ) {
    const source = await this.source(tenant, threadId);
    if (source.status === null) return [];
    const summaries = await this.#runs.checkpoints(tenant, threadId, {
      limit: page.limit,
      ...(page.before ? { before: page.before } : {}),
    });
    return Promise.all(
      summaries.map(async (summary) =>
        threadStateView(
          threadId,
          await this.#runs.checkpoint(tenant, threadId, summary.checkpoint_id),
        ),
      ),
    );
  }

  /** The thread's values, with `__interrupt__` while it waits; `__error__` when it failed. */
  async threadValues(tenant: string, thread: Run): Promise<Record<string, unknown>> {
    if (thread.status === "failed" && thread.error) {
      return { __error__: { error: thread.error.code, message: thread.error.message } };
    }
    const values = (await this.values(tenant, sourceOf(thread))) ?? {};
    return thread.status === "interrupted"
      ? { ...values, __interrupt__: interruptsOf(thread.interrupt) }
      : values;
  }

  /** The thread: its run, or a thread with no run yet. */
  async source(tenant: string, threadId: string): Promise<ThreadSource> {
    try {
      return sourceOf(await this.#runs.get(tenant, threadId));
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    const pending = await this.#threads.getPending(tenant, threadId);
    if (!pending) throw new NotFoundError(`There is no thread ${threadId}.`);
    return this.#pendingSource(pending);
  }

  #pendingSource(pending: {
    thread_id: string;
    metadata: Record<string, unknown>;
    created_at: string;
  }): ThreadSource {
    const graphId = pending.metadata.graph_id;
    return {
      thread_id: pending.thread_id,
      status: null,
      workflow: typeof graphId === "string" ? graphId : null,
      metadata: pending.metadata,
      interrupt: null,
      error: null,
      created_at: pending.created_at,
      updated_at: pending.created_at,
    };
  }

  async #latestState(tenant: string, source: ThreadSource): Promise<CheckpointState | null> {
    return source.status === null ? null : this.#runs.latestState(tenant, source.thread_id);
  }

  /** The thread's latest values; null with no checkpoint yet. */
  async values(tenant: string, source: ThreadSource) {
    return (await this.#latestState(tenant, source))?.values ?? null;
  }

  /** The thread's run; a thread with no run yet is not found. */
  async runOf(tenant: string, threadId: string): Promise<Run> {
    return this.#runs.get(tenant, threadId).catch((error) => {
      if (error instanceof NotFoundError)
        throw new NotFoundError(`There is no thread ${threadId}.`);
      throw error;
    });
  }
}
