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
import { SETTLED_STATUSES } from "../runs/events.ts";
import type { PendingInterrupt as Interrupt } from "../runs/runner.ts";
import type { Run } from "../runs/schemas.ts";
import type { RunService } from "../runs/service.ts";
import type { ThreadRun, ThreadStore } from "../storage/index.ts";
import { resumeFor } from "./interrupts.ts";
import { langGraphFormat, metadataEvent, sseEvent } from "./stream.ts";
import { LangGraphThreads, sourceOf } from "./threads.ts";
import { assistantSchemas, assistantView, type LangGraphRunStatus, runView } from "./views.ts";

/** A run on a thread, as LangGraph clients ask for one (the part polar-flows acts on). */
export interface RunRequest {
  assistant_id: string;
  input?: unknown;
  command?: { resume?: unknown; goto?: unknown; update?: unknown } | undefined;
  metadata?: Record<string, unknown> | undefined;
  multitask_strategy?: string | undefined;
}

/** A LangGraph run just made, and where a stream of it starts. */
export interface CreatedRun {
  run: ReturnType<typeof runView>;
  /** The run core's event id the stream of this run starts after. */
  streamAfter: number;
  /** The thread's values when the run began (for `values` events). */
  startValues: Record<string, unknown>;
}

/** A wait that comes back sooner than this without the run settled means the service is closing. */
const SHORTEST_WAIT_MS = 500;

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
  /** Reading threads: get, search, state, history. */
  readonly threads: LangGraphThreads;

  constructor(runs: RunService, threads: ThreadStore) {
    this.#runs = runs;
    this.#threads = threads;
    this.threads = new LangGraphThreads(runs, threads);
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
      return this.#continue(actor, await this.threads.runOf(tenant, threadId), request);
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
    const thread = await this.threads.runOf(tenant, threadId);
    const run = await this.#threads.getRun(tenant, threadId, runId);
    if (!run) throw new NotFoundError(`Thread ${threadId} has no run ${runId}.`);
    return { run, view: runView(run, thread.status), thread };
  }

  async listRuns(tenant: string, threadId: string, limit: number) {
    const thread = await this.threads.runOf(tenant, threadId);
    const runs = await this.#threads.listRuns(tenant, threadId, limit);
    return runs.map((run) => runView(run, thread.status));
  }

  /**
   * Waits until the thread pauses or ends (or `stop`), however long: the run core's waits are
   * bounded, so this asks again. Answers what LangGraph's `wait` and `join` answer.
   */
  async waitForThread(tenant: string, threadId: string, stop: AbortSignal) {
    let thread = await this.#runs.get(tenant, threadId);
    while (!SETTLED_STATUSES.has(thread.status) && !stop.aborted) {
      const asked = Date.now();
      thread = await this.#runs.waitFor(tenant, threadId);
      if (!SETTLED_STATUSES.has(thread.status) && Date.now() - asked < SHORTEST_WAIT_MS) break;
    }
    return this.threads.threadValues(tenant, thread);
  }

  async joinRun(tenant: string, threadId: string, runId: string, stop: AbortSignal) {
    const { run, thread } = await this.run(tenant, threadId, runId);
    if (run.final_status !== null) return this.threads.threadValues(tenant, thread);
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
    if (modes.has("values") && SETTLED_STATUSES.has(thread.status) && thread.status !== "failed") {
      output.write(sseEvent("values", await this.threads.threadValues(tenant, thread)));
    }
  }

  /**
   * Cancels the LangGraph run in progress (and with it the thread's run); a run that has done its
   * part (the thread waits for a person, or has ended) is a 409, as on LangGraph's server.
   */
  async cancelRun(tenant: string, threadId: string, runId: string): Promise<void> {
    const { run, thread } = await this.run(tenant, threadId, runId);
    if (run.final_status !== null || (thread.status !== "queued" && thread.status !== "running")) {
      throw new RunConflictError(`Run ${runId} is not in progress; there is nothing to cancel.`);
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
    const startValues = (await this.threads.values(tenant, sourceOf(thread))) ?? {};
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
}
