/**
 * LangGraph's Platform API over the run core: a thread is a polar-flows run (`thread_id` =
 * `run_id`), a LangGraph run is one start, answer or retry of it, an assistant is a workflow.
 * Everything that moves a run goes through `RunService` with the caller's actor, so roles,
 * tenancy and the checks of answers are the same as on `/v1`. What a thread needs beyond its run
 * (a thread made before its first run, the LangGraph runs on it) is in the thread store.
 */
import { randomUUID } from "node:crypto";
import type { Actor } from "../lib/actor.ts";
import { InvalidInputError, NotFoundError, RunConflictError } from "../runs/errors.ts";
import type { PendingInterrupt as Interrupt } from "../runs/runner.ts";
import type { CheckpointState, Run } from "../runs/schemas.ts";
import type { RunService } from "../runs/service.ts";
import type { ThreadRun, ThreadStore } from "../storage/index.ts";
import { resumeFor } from "./interrupts.ts";
import { langGraphFormat, metadataEvent, sseEvent } from "./stream.ts";
import {
  assistantSchemas,
  assistantView,
  interruptsOf,
  type LangGraphRunStatus,
  runStatusesFor,
  runView,
  type ThreadSource,
  type ThreadStatus,
  threadStateView,
  threadView,
} from "./views.ts";

/** A run on a thread, as LangGraph clients ask for one (the part polar-flows acts on). */
export interface RunRequest {
  assistant_id: string;
  input?: unknown;
  command?: { resume?: unknown; goto?: unknown; update?: unknown } | undefined;
  metadata?: Record<string, unknown> | undefined;
  multitask_strategy?: string | undefined;
}

export interface ThreadSearch {
  status?: ThreadStatus | undefined;
  metadata?: Record<string, unknown> | undefined;
  limit: number;
  offset: number;
  /** Fields to answer; values are read only when asked for (or when no `select` is given). */
  select?: string[] | undefined;
}

/** A LangGraph run just made, and where a stream of it starts. */
export interface CreatedRun {
  run: ReturnType<typeof runView>;
  /** The run core's event id the stream of this run starts after. */
  streamAfter: number;
  /** The thread's values when the run began (for `values` events). */
  startValues: Record<string, unknown>;
}

const SETTLED = new Set(["interrupted", "completed", "failed", "cancelled"]);

/** A wait that comes back sooner than this without the run settled means the service is closing. */
const SHORTEST_WAIT_MS = 500;

function sourceOf(run: Run): ThreadSource {
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

/** LangGraph clients send the graph's input, `{ input: <workflow input> }`; the bare one is taken too. */
function workflowInput(input: unknown): Record<string, unknown> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new InvalidInputError("A run's input is `{ input: <the workflow's input> }`.", [
      { path: "input", message: "must be an object" },
    ]);
  }
  const inner = (input as { input?: unknown }).input;
  return typeof inner === "object" && inner !== null && Object.keys(input).length === 1
    ? (inner as Record<string, unknown>)
    : (input as Record<string, unknown>);
}

export class LangGraphService {
  readonly #runs: RunService;
  readonly #threads: ThreadStore;
  readonly #since = new Date().toISOString();

  constructor(runs: RunService, threads: ThreadStore) {
    this.#runs = runs;
    this.#threads = threads;
  }

  async assistants() {
    return (await this.#runs.listWorkflows()).map((view) => assistantView(view, this.#since));
  }

  async assistant(id: string) {
    return assistantView(await this.#workflow(id), this.#since);
  }

  graph(id: string) {
    return this.#runs.drawing(id);
  }

  async schemas(id: string) {
    return assistantSchemas(await this.#workflow(id));
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
      const own = await this.#source(tenant, threadId).catch(() => null);
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
    const source = await this.#source(tenant, threadId);
    return threadView(source, await this.#values(tenant, source));
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
        threadView(thread, withValues ? await this.#values(tenant, thread) : null),
      ),
    );
    if (!search.select) return threads;
    const fields = new Set(search.select);
    return threads.map((thread) =>
      Object.fromEntries(Object.entries(thread).filter(([field]) => fields.has(field))),
    );
  }

  async state(tenant: string, threadId: string) {
    const source = await this.#source(tenant, threadId);
    return threadStateView(threadId, await this.#latestState(tenant, source));
  }

  async history(
    tenant: string,
    threadId: string,
    page: { limit: number; before?: string | undefined },
  ) {
    const source = await this.#source(tenant, threadId);
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

  /**
   * A new LangGraph run on the thread: its first start (a thread with no run yet), the answer to
   * the interrupt it waits for (`command.resume`, approvers only), or a retry of a retryable
   * failure. A thread that is running answers 409 (`multitask_strategy: "reject"`).
   */
  async createRun(actor: Actor, threadId: string, request: RunRequest): Promise<CreatedRun> {
    const strategy = request.multitask_strategy ?? "reject";
    if (strategy !== "reject") {
      throw new InvalidInputError('Only `multitask_strategy: "reject"` is served.', [
        { path: "multitask_strategy", message: "must be reject" },
      ]);
    }
    if (request.command?.goto !== undefined || request.command?.update !== undefined) {
      throw new InvalidInputError("`command` takes `resume` only.", [
        { path: "command", message: "goto and update are not served" },
      ]);
    }
    const tenant = actor.tenant;
    const existing = await this.#runs.get(tenant, threadId).catch((error) => {
      if (error instanceof NotFoundError) return null;
      throw error;
    });
    if (existing) return this.#continue(actor, existing, request);
    const pending = await this.#threads.claimPending(tenant, threadId);
    if (!pending) {
      // Another request started the thread's first run just now, or there is no such thread.
      return this.#continue(actor, await this.#thread(tenant, threadId), request);
    }
    if (request.command !== undefined) {
      await this.#threads.restorePending(pending);
      throw new RunConflictError("The thread has not run yet: there is nothing to resume.");
    }
    let started: Run;
    try {
      ({ run: started } = await this.#runs.start(
        tenant,
        request.assistant_id,
        {
          input: workflowInput(request.input),
          metadata: { ...pending.metadata, ...request.metadata },
          wait: false,
        },
        { actor, runId: threadId },
      ));
    } catch (error) {
      await this.#threads.restorePending(pending);
      throw error;
    }
    const run = await this.#record(tenant, started, request, "success");
    return { run, streamAfter: 0, startValues: { input: started.input } };
  }

  /** The LangGraph run, as it stands. */
  async run(tenant: string, threadId: string, runId: string) {
    const thread = await this.#thread(tenant, threadId);
    const run = await this.#threads.getRun(tenant, threadId, runId);
    if (!run) throw new NotFoundError(`Thread ${threadId} has no run ${runId}.`);
    return { run, view: runView(run, thread.status), thread };
  }

  async listRuns(tenant: string, threadId: string, limit: number) {
    const thread = await this.#thread(tenant, threadId);
    const runs = await this.#threads.listRuns(tenant, threadId, limit);
    return runs.map((run) => runView(run, thread.status));
  }

  /**
   * Waits until the thread pauses or ends (or `stop`), however long: the run core's waits are
   * bounded, so this asks again. Answers what LangGraph's `wait` and `join` answer.
   */
  async waitForThread(tenant: string, threadId: string, stop: AbortSignal) {
    let thread = await this.#runs.get(tenant, threadId);
    while (!SETTLED.has(thread.status) && !stop.aborted) {
      const asked = Date.now();
      thread = await this.#runs.waitFor(tenant, threadId);
      if (!SETTLED.has(thread.status) && Date.now() - asked < SHORTEST_WAIT_MS) break;
    }
    return this.threadValues(tenant, thread);
  }

  /** The thread's values, with `__interrupt__` while it waits; `__error__` when it failed. */
  async threadValues(tenant: string, thread: Run): Promise<Record<string, unknown>> {
    if (thread.status === "failed" && thread.error) {
      return { __error__: { error: thread.error.code, message: thread.error.message } };
    }
    const values = (await this.#values(tenant, sourceOf(thread))) ?? {};
    return thread.status === "interrupted"
      ? { ...values, __interrupt__: interruptsOf(thread.interrupt) }
      : values;
  }

  async joinRun(tenant: string, threadId: string, runId: string, stop: AbortSignal) {
    const { run, thread } = await this.run(tenant, threadId, runId);
    if (run.final_status !== null) return this.threadValues(tenant, thread);
    return this.waitForThread(tenant, threadId, stop);
  }

  /**
   * Streams a LangGraph run just made as server-sent events until the thread pauses or ends (or
   * `stop`): `metadata` first, then `updates` / `values` as `modes` ask, and the thread's values
   * (with `__interrupt__`) once it pauses or ends.
   */
  async streamRun(
    tenant: string,
    created: CreatedRun,
    modes: ReadonlySet<string>,
    output: { write: (chunk: string) => void; stop: AbortSignal; keepAliveMs: number },
  ): Promise<void> {
    const threadId = created.run.thread_id;
    output.write(metadataEvent(created.run.run_id));
    await this.#runs.streamEvents(tenant, threadId, {
      after: created.streamAfter,
      write: output.write,
      stop: output.stop,
      keepAliveMs: output.keepAliveMs,
      format: langGraphFormat(modes, created.startValues),
    });
    const thread = await this.#runs.get(tenant, threadId);
    if (modes.has("values") && SETTLED.has(thread.status) && thread.status !== "failed") {
      output.write(sseEvent("values", await this.threadValues(tenant, thread)));
    }
  }

  /** Cancels the thread's run; only its latest LangGraph run can be cancelled. */
  async cancelRun(tenant: string, threadId: string, runId: string): Promise<void> {
    const { run } = await this.run(tenant, threadId, runId);
    if (run.final_status !== null) {
      throw new RunConflictError(`Run ${runId} has ended; a later run is on the thread.`);
    }
    await this.#runs.cancel(tenant, threadId);
  }

  async #continue(actor: Actor, thread: Run, request: RunRequest): Promise<CreatedRun> {
    const { tenant } = actor;
    if (thread.workflow !== request.assistant_id) {
      throw new InvalidInputError(`Thread ${thread.run_id} runs assistant ${thread.workflow}.`, [
        { path: "assistant_id", message: `must be ${thread.workflow}` },
      ]);
    }
    const resume = request.command?.resume;
    if (thread.status === "queued" || thread.status === "running") {
      throw new RunConflictError(
        `Thread ${thread.run_id} is busy; a new run is rejected (multitask_strategy "reject").`,
      );
    }
    const retry = thread.status === "failed" && thread.error?.retryable === true;
    if (thread.status !== "interrupted" && !retry) {
      throw new RunConflictError(
        `Thread ${thread.run_id} has ${thread.status === "failed" ? "failed" : "ended"} (${thread.status}); start a new thread.`,
      );
    }
    if (thread.status === "interrupted" && resume === undefined) {
      throw new RunConflictError(
        `Thread ${thread.run_id} waits for a person: answer with \`command: { resume }\`.`,
      );
    }
    const streamAfter = await this.#runs.latestStatusEventId(tenant, thread.run_id);
    const startValues = (await this.#values(tenant, sourceOf(thread))) ?? {};
    if (retry) {
      await this.#runs.resume(actor, thread.run_id, { wait: false });
    } else {
      const pending = thread.interrupt as Interrupt;
      await this.#runs.resume(actor, thread.run_id, {
        resume: resumeFor(pending, resume),
        interrupt_id: pending.id,
        wait: false,
      });
    }
    const run = await this.#record(tenant, thread, request, retry ? "error" : "success");
    return { run, streamAfter, startValues };
  }

  async #record(
    tenant: string,
    thread: Run,
    request: RunRequest,
    supersededStatus: LangGraphRunStatus,
  ) {
    const run: ThreadRun = await this.#threads.addRun(
      {
        run_id: randomUUID(),
        thread_id: thread.run_id,
        tenant,
        assistant_id: thread.workflow,
        metadata: request.metadata ?? {},
      },
      supersededStatus,
    );
    return runView(run, "running");
  }

  async #workflow(id: string) {
    const workflow = (await this.#runs.listWorkflows()).find((view) => view.name === id);
    if (!workflow) throw new NotFoundError(`There is no assistant ${id}.`);
    return workflow;
  }

  async #thread(tenant: string, threadId: string): Promise<Run> {
    return this.#runs.get(tenant, threadId).catch((error) => {
      if (error instanceof NotFoundError)
        throw new NotFoundError(`There is no thread ${threadId}.`);
      throw error;
    });
  }

  /** The thread: its run, or a thread with no run yet. */
  async #source(tenant: string, threadId: string): Promise<ThreadSource> {
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

  async #values(tenant: string, source: ThreadSource) {
    return (await this.#latestState(tenant, source))?.values ?? null;
  }
}
