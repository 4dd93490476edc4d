/**
 * The run service: the one place that starts, resumes, retries, cancels and recovers runs, and
 * reads their checkpoints. Routes stay thin; so will the tools and MCP front ends.
 *
 * Status changes are compare-and-set transitions in the registry, so that two requests never
 * both win (two resumes of one interrupt: one runs, the other gets 409), and a run's final
 * status is written `from: ["running"]` under the execution's lease only, so a cancel is never
 * overwritten and a replica that lost the run writes nothing.
 *
 * Execution goes through the shared run queue in the store: starting, resuming or retrying a
 * run makes it claimable, and any replica's executor (this one's, usually first) claims it.
 * A request that waits watches the run in the store, wherever it executes.
 */
import { createHash } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import { z } from "zod";
import { getWorkflow, type Workflow, workflows } from "../../graphs/index.ts";
import {
  advanceRun,
  checkResume,
  LEASE_LOST_CODE,
  type PendingInterrupt,
  pendingInterruptId,
  ResumeRejectedError,
  type RunStart,
  type StepResult,
} from "../../graphs/runner.ts";
import { type Actor, requireApprover } from "../../lib/actor.ts";
import { validate } from "../../lib/validation.ts";
import type { WorkflowDeps } from "../../nodes/context.ts";
import { answerOf } from "../../runs/answers.ts";
import {
  type AnswerLog,
  InvalidCursorError,
  type Lease,
  type RunAnswer,
  type RunEventType,
  type RunPatch,
  type RunRecord,
  type RunRegistry,
  type RunStatus,
  type Storage,
  type StoreChange,
} from "../../storage/index.ts";
import { QUEUE_DEFAULTS } from "../config.ts";
import { conflict, invalid, notFound, PROBLEM_TYPES, ProblemError } from "../problem.ts";
import { RunEvents, SETTLED_STATUSES } from "./events.ts";
import { CANCELLED, Executor, type Outcome, type QueueSettings, SHUTDOWN } from "./executor.ts";
import {
  type CheckpointState,
  type CheckpointSummary,
  type ResumeBody,
  type Run,
  runView,
  type StartRunBody,
  type WorkflowView,
} from "./schemas.ts";

type Compiled = ReturnType<Workflow["build"]>;
type StateSnapshot = Awaited<ReturnType<Compiled["getState"]>>;

export interface RunServiceOptions {
  storage: Pick<
    Storage,
    "kind" | "runs" | "events" | "answers" | "checkpointer" | "fencedCheckpointer" | "watch"
  >;
  deps: WorkflowDeps;
  logger: FastifyBaseLogger;
  /** The longest a `wait: true` request waits for a run to pause or end. */
  waitMs: number;
  /** Runs that execute at once in this process. */
  concurrency: number;
  /** Lease length, renewal and polling of the shared run queue (default `QUEUE_DEFAULTS`). */
  queue?: Partial<QueueSettings>;
  /** This replica's name in leases (default: host, process id, a random suffix). */
  owner?: string;
  /** Told when a run this replica executed pauses or ends (notices); must not throw. */
  onSettled?: (record: RunRecord) => Promise<void>;
}

export class RunService {
  readonly events: RunEvents;
  readonly #storage: RunServiceOptions["storage"];
  readonly #runs: RunRegistry;
  readonly #answers: AnswerLog;
  readonly #checkpointer: Storage["checkpointer"];
  readonly #deps: WorkflowDeps;
  readonly #log: FastifyBaseLogger;
  readonly #waitMs: number;
  readonly #pollMs: number;
  readonly #onSettled: RunServiceOptions["onSettled"];
  readonly #executor: Executor;
  #unwatch: (() => void) | undefined;
  readonly #graphs = new Map<string, Compiled>();
  /** tenant + idempotency key → fingerprint, while the first request with that key is answered. */
  readonly #keysInFlight = new Map<string, string>();
  /** Aborted at shutdown: waiting requests answer with the run as it is. */
  readonly #closing = new AbortController();
  #workflowViews: WorkflowView[] | undefined;

  constructor(options: RunServiceOptions) {
    const queue = { ...QUEUE_DEFAULTS, ...options.queue };
    this.#storage = options.storage;
    this.#runs = options.storage.runs;
    this.#answers = options.storage.answers;
    this.#checkpointer = options.storage.checkpointer;
    this.events = new RunEvents(options.storage.events, options.logger);
    this.#deps = options.deps;
    this.#log = options.logger;
    this.#waitMs = options.waitMs;
    this.#onSettled = options.onSettled;
    this.#pollMs = queue.pollMs;
    this.#executor = new Executor({
      ...queue,
      runs: this.#runs,
      concurrency: options.concurrency,
      ...(options.owner ? { owner: options.owner } : {}),
      execute: (record, lease, signal) => this.#advance(record, lease, signal),
      log: options.logger,
    });
    // Executions write through the fence; reads see the same store.
    const checkpointer = options.storage.fencedCheckpointer(queue.leaseMs);
    for (const workflow of Object.values(workflows)) {
      this.#graphs.set(workflow.name, workflow.build(checkpointer));
    }
  }

  /** This replica's name in run leases. */
  get owner(): string {
    return this.#executor.owner;
  }

  /** Aborted when the service shuts down (event streams end). */
  get closing(): AbortSignal {
    return this.#closing.signal;
  }

  // ---- workflows ----

  async listWorkflows(): Promise<WorkflowView[]> {
    this.#workflowViews ??= await Promise.all(
      Object.values(workflows)
        .filter((workflow) => !workflow.internal)
        .map(async (workflow) => {
          const drawing = await this.#graph(workflow.name).getGraphAsync();
          return {
            name: workflow.name,
            description: workflow.description,
            input_schema: z.toJSONSchema(workflow.input, { io: "input", unrepresentable: "any" }),
            nodes: Object.keys(drawing.nodes).filter((node) => !node.startsWith("__")),
            mermaid: drawing.drawMermaid(),
          };
        }),
    );
    return this.#workflowViews;
  }

  // ---- runs ----

  /**
   * Starts a run. With an idempotency key: the same key and body answer the first run
   * (`created: false`), another body is 422, and a key whose first request is still being
   * answered is 409.
   */
  async start(
    tenant: string,
    workflowName: string,
    body: StartRunBody,
    idempotencyKey?: string,
    /**
     * `internal`: polar-flows itself starts the run (a tool write), so internal workflows may run.
     * `actor`: the caller's key; only an approver may start a run with `require_approval: false`.
     */
    options: { internal?: boolean; actor?: Actor } = {},
  ): Promise<{ run: Run; created: boolean }> {
    const workflow = getWorkflow(workflowName);
    if (!workflow || (workflow.internal && !options.internal))
      throw notFound(`There is no workflow named "${workflowName}"; GET /v1/workflows lists them.`);
    const parsed = validate(workflow.input, body.input, ["input"]);
    if (!parsed.success) {
      throw invalid(`The input does not fit workflow ${workflow.name}.`, parsed.issues);
    }
    if (options.actor && (parsed.data as { require_approval?: unknown }).require_approval === false)
      requireApprover(options.actor, "start a run with `require_approval: false`");
    const fingerprint = fingerprintOf({
      workflow: workflow.name,
      input: body.input,
      metadata: body.metadata,
    });
    const newRun = {
      tenant,
      workflow: workflow.name,
      input: parsed.data,
      metadata: body.metadata,
      request_hash: fingerprint,
    };
    if (idempotencyKey === undefined) {
      const { run } = await this.#runs.create(newRun);
      return { run: await this.#launch(run, body.wait), created: true };
    }

    const slot = `${tenant}\n${idempotencyKey}`;
    const inFlight = this.#keysInFlight.get(slot);
    if (inFlight !== undefined) throw inFlight === fingerprint ? keyInFlight() : keyReused();
    this.#keysInFlight.set(slot, fingerprint);
    try {
      const { run, created } = await this.#runs.create({
        ...newRun,
        idempotency_key: idempotencyKey,
      });
      if (created) return { run: await this.#launch(run, body.wait), created: true };
      if (run.request_hash !== fingerprint) throw keyReused();
      const current = body.wait ? await this.#waitUntilSettled(run) : await this.#view(run);
      return { run: current, created: false };
    } finally {
      this.#keysInFlight.delete(slot);
    }
  }

  async get(tenant: string, runId: string): Promise<Run> {
    return this.#view(await this.#find(tenant, runId));
  }

  async list(
    tenant: string,
    query: { workflow?: string; status?: RunStatus; limit: number; cursor?: string },
  ): Promise<{ runs: Run[]; next_cursor: string | null }> {
    try {
      const page = await this.#runs.list({ tenant, ...query });
      const answers = await this.#answers.forRuns(page.runs.map((run) => run.run_id));
      const runs = page.runs.map((run) =>
        runView(
          run,
          answers.filter((answer) => answer.run_id === run.run_id),
        ),
      );
      return { runs, next_cursor: page.next_cursor };
    } catch (error) {
      if (error instanceof InvalidCursorError) {
        throw invalid("The cursor is not one this service issued.", [
          { path: "query.cursor", message: "not a valid cursor" },
        ]);
      }
      throw error;
    }
  }

  /**
   * Answers the pending interrupt (`resume` given), or retries a run that failed with a
   * retryable error from its last checkpoint (`resume` left out). Answering is a person's
   * decision: `actor` must be an approver; any key of the tenant may retry.
   */
  async resume(actor: Actor, runId: string, body: ResumeBody): Promise<Run> {
    const record = await this.#find(actor.tenant, runId);
    let moved: RunRecord | null;
    if (!("resume" in body)) {
      if (record.status !== "failed" || !record.error?.retryable) {
        throw conflict(
          record.status === "interrupted"
            ? "The run waits for an answer: give it as `resume`."
            : `Only a run that failed with a retryable error can be retried; this one is ${describeStatus(record)}.`,
        );
      }
      moved = await this.#setStatus(runId, {
        from: ["failed"],
        to: "running",
        set: { error: null },
      });
    } else {
      requireApprover(actor, "answer an interrupt");
      if (record.status !== "interrupted") {
        throw conflict(`The run is ${describeStatus(record)}, not waiting for an answer.`);
      }
      const pending = record.interrupt as PendingInterrupt;
      if (body.interrupt_id !== undefined && body.interrupt_id !== pending.id) {
        throw conflict(
          `The run is not waiting for interrupt ${body.interrupt_id}; it waits for ${pending.id}.`,
        );
      }
      let value: unknown;
      try {
        value = checkResume(pending, body.resume, body.interrupt_id);
      } catch (error) {
        if (!(error instanceof ResumeRejectedError)) throw error;
        throw new ProblemError(400, error.message, {
          type: PROBLEM_TYPES.resumeRejected,
          title: "The answer does not fit the interrupt",
          errors: error.issues,
        });
      }
      // The answer waits in the run until a replica claims it; who gave it goes on record.
      const answer = answerOf(actor, runId, pending, value, new Date());
      moved = await this.#setStatus(
        runId,
        {
          from: ["interrupted"],
          to: "running",
          set: { interrupt: null, pending_resume: { interrupt_id: pending.id, value, answer } },
        },
        [{ type: "answer", data: answer }],
        answer,
      );
    }
    if (!moved) throw conflict("Another request moved the run on first.");
    this.#work();
    return body.wait ? this.#waitUntilSettled(moved) : this.#view(moved);
  }

  /** Cancels a run that has not finished: queued, running, interrupted or retryable-failed. */
  async cancel(tenant: string, runId: string): Promise<Run> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const record = await this.#find(tenant, runId);
      const cancellable =
        record.status === "queued" ||
        record.status === "running" ||
        record.status === "interrupted" ||
        (record.status === "failed" && record.error?.retryable === true);
      if (!cancellable)
        throw conflict(`The run is ${describeStatus(record)}; there is nothing to cancel.`);
      const cancelled = await this.#setStatus(runId, {
        from: [record.status],
        to: "cancelled",
        set: { interrupt: null, pending_resume: null },
      });
      if (cancelled) {
        // Executing here: stop now. Elsewhere: that replica hears of it (PostgreSQL NOTIFY),
        // and its lease is gone with the status, so its next renewal or write stops it anyway.
        this.#executor.abort(runId, CANCELLED);
        return this.#view(cancelled);
      }
      // The status changed under us: look again.
    }
    throw conflict("The run keeps changing; try again.");
  }

  // ---- checkpoints ----

  /** Checkpoint history, newest first. */
  async checkpoints(
    tenant: string,
    runId: string,
    query: { limit: number; before?: string },
  ): Promise<CheckpointSummary[]> {
    const record = await this.#find(tenant, runId);
    const graph = this.#graph(record.workflow);
    const snapshots: StateSnapshot[] = [];
    // One more than asked: the oldest one's parent tells what produced it.
    for await (const snapshot of graph.getStateHistory(threadConfig(runId), {
      limit: query.limit + 1,
      ...(query.before ? { before: threadConfig(runId, query.before) } : {}),
    })) {
      snapshots.push(snapshot);
    }
    const page = snapshots.slice(0, query.limit);
    return Promise.all(
      page.map(async (snapshot, index) => {
        const parentId = parentCheckpointId(snapshot);
        let ran: string[] = [];
        if (parentId !== null) {
          const older = snapshots[index + 1];
          const parent =
            older && checkpointIdOf(older) === parentId
              ? older
              : await graph.getState(threadConfig(runId, parentId));
          ran = [...parent.next];
        }
        return {
          checkpoint_id: checkpointIdOf(snapshot),
          parent_checkpoint_id: parentId,
          step: (snapshot.metadata?.step as number | undefined) ?? 0,
          source: String(snapshot.metadata?.source ?? "unknown"),
          ran,
          next: [...snapshot.next],
          created_at: snapshot.createdAt ?? "",
        };
      }),
    );
  }

  /** The state at one checkpoint of the run. */
  async checkpoint(tenant: string, runId: string, checkpointId: string): Promise<CheckpointState> {
    const record = await this.#find(tenant, runId);
    const config = threadConfig(runId, checkpointId);
    if (!(await this.#checkpointer.getTuple(config))) {
      throw notFound(`Run ${runId} has no checkpoint ${checkpointId}.`);
    }
    const snapshot = await this.#graph(record.workflow).getState(config);
    return {
      checkpoint_id: checkpointIdOf(snapshot),
      parent_checkpoint_id: parentCheckpointId(snapshot),
      step: (snapshot.metadata?.step as number | undefined) ?? 0,
      values: snapshot.values as Record<string, unknown>,
      next: [...snapshot.next],
      interrupts: snapshot.tasks.flatMap((task) =>
        task.interrupts.map((pending) =>
          isPlainObject(pending.value)
            ? { id: pending.id, ...pending.value }
            : { id: pending.id, value: pending.value },
        ),
      ),
      created_at: snapshot.createdAt ?? "",
    };
  }

  /** The tenant's run, or 404 (another tenant's run is not found either). */
  async find(tenant: string, runId: string): Promise<RunRecord> {
    return this.#find(tenant, runId);
  }

  // ---- lifecycle ----

  /**
   * At start-up: this replica joins the run queue, and runs left queued or running continue
   * from their last checkpoint. One node (SQLite): the leases an earlier process left are void,
   * so its runs go on at once (answers how many were running). Several (PostgreSQL): a dead
   * replica's runs are taken over as their leases lapse.
   */
  async recover(): Promise<number> {
    const handedBack = this.#storage.kind === "sqlite" ? await this.#runs.releaseAll() : 0;
    this.#work();
    return handedBack;
  }

  /**
   * Shutdown: no new claims; each running run stops once its current step is stored, or after
   * `graceMs`, and goes back to the queue at once (still `running`), for another replica or the
   * next start-up.
   */
  async close(graceMs: number): Promise<void> {
    this.#closing.abort();
    await this.#executor.drain(graceMs);
    this.#unwatch?.();
  }

  // ---- execution ----

  /** Queues a run just created and, if asked, waits for it to settle. */
  async #launch(record: RunRecord, wait: boolean): Promise<Run> {
    await this.events.record(record.run_id, "status", runView(record));
    this.#work();
    return wait ? this.#waitUntilSettled(record) : runView(record);
  }

  /** Takes part in the queue (from the first use on) and looks at it now. */
  #work(): void {
    this.#unwatch ??= this.#storage.watch((change) => this.#heard(change));
    this.#executor.wake();
  }

  #heard(change: StoreChange): void {
    if (change.kind === "event") {
      this.events.changedElsewhere(change.run_id);
    } else if (change.kind === "ready") {
      this.#executor.wake();
    } else if (change.kind === "cancelled") {
      this.#executor.abort(change.run_id, CANCELLED);
    } else {
      this.events.changedElsewhere();
      this.#executor.wake();
    }
  }

  /** One execution of a claimed run, until it pauses or ends; see `Outcome`. */
  async #advance(record: RunRecord, lease: Lease, signal: AbortSignal): Promise<Outcome> {
    const runId = record.run_id;
    // Its first claim took it from queued to running.
    if (record.lease_generation === 1) await this.events.record(runId, "status", runView(record));
    const workflow = getWorkflow(record.workflow);
    if (!workflow) {
      await this.#settle(lease, {
        status: "failed",
        error: {
          code: "internal",
          message: `unknown workflow ${record.workflow}`,
          retryable: false,
        },
        checkpoint_id: null,
      });
      return "done";
    }
    const graph = this.#graph(workflow.name);
    const recorder = this.events.recorder(runId);
    let result: StepResult;
    try {
      result = await advanceRun(workflow, graph, runId, await this.#startOf(record, graph), {
        deps: this.#deps,
        lease,
        signal,
        onNodeUpdate: (node, update) => {
          recorder.node(node, update);
          // Shutting down: this step's writes are on their way to the store, so the run stops
          // here and goes back to the queue from this point.
          if (this.#closing.signal.aborted) this.#executor.abort(runId, SHUTDOWN);
        },
      });
    } catch (error) {
      // advanceRun classifies the graph's own errors; this is the store failing under it.
      this.#log.error({ run_id: runId, err: error }, "run step failed outside the graph");
      result = {
        status: "failed",
        error: {
          code: "internal",
          message: "the run could not be stored; retry it",
          retryable: true,
        },
        checkpoint_id: null,
      };
    }
    await recorder.flush();
    if (result.status === "failed" && result.error.code === LEASE_LOST_CODE) {
      this.#log.info({ run_id: runId }, "run lost its lease; its result is dropped");
      return "done";
    }
    if (signal.aborted && result.status === "failed") {
      // Cancelled (the cancel wrote the status), lost (someone else has it now) or shutting
      // down (back to the queue).
      if (signal.reason !== SHUTDOWN) return "done";
      this.#log.info({ run_id: runId }, "run paused by shutdown");
      return "paused";
    }
    await this.#settle(lease, result);
    return "done";
  }

  /**
   * Where a claimed run goes on from: a person's answer, if its interrupt is still the pending
   * one (a replica that died after applying it leaves the run past it); else its last
   * checkpoint; else its input.
   */
  async #startOf(record: RunRecord, graph: Compiled): Promise<RunStart> {
    const pending = record.pending_resume;
    if (pending && (await pendingInterruptId(graph, record.run_id)) === pending.interrupt_id) {
      // Already on record unless the answering request died right after storing the answer.
      if (pending.answer) await this.#answers.record(record.tenant, pending.answer);
      return { resume: pending.value };
    }
    return (await this.#hasCheckpoint(record.run_id)) ? { retry: true } : { input: record.input };
  }

  /** Writes where the run stopped — if the lease still holds (not cancelled, not taken over). */
  async #settle(lease: Lease, result: StepResult): Promise<void> {
    const runId = lease.run_id;
    const set: RunPatch = { pending_resume: null };
    if (result.checkpoint_id !== null) set.checkpoint_id = result.checkpoint_id;
    let settled: RunRecord | null;
    if (result.status === "interrupted") {
      settled = await this.#setStatus(
        runId,
        {
          from: ["running"],
          to: "interrupted",
          set: { ...set, interrupt: result.interrupt, error: null },
          lease,
        },
        [{ type: "interrupt", data: { interrupt: result.interrupt } }],
      );
    } else if (result.status === "completed") {
      settled = await this.#setStatus(runId, {
        from: ["running"],
        to: "completed",
        set: { ...set, output: result.output, interrupt: null, error: null },
        lease,
      });
    } else {
      settled = await this.#setStatus(runId, {
        from: ["running"],
        to: "failed",
        set: { ...set, error: result.error, interrupt: null },
        lease,
      });
      if (settled) this.#log.warn({ run_id: runId, error: result.error }, "run failed");
    }
    if (settled) await this.#onSettled?.(settled);
    if (!settled) {
      this.#log.info(
        { run_id: runId },
        "run was cancelled or taken over while it ran; its result is dropped",
      );
    }
  }

  /**
   * The one way a status changes: a compare-and-set in the registry, then the events that
   * report it (extra ones first; the `status` event last, as the stream's end marker).
   */
  async #setStatus(
    runId: string,
    change: { from: readonly RunStatus[]; to: RunStatus; set?: RunPatch; lease?: Lease },
    extra: { type: RunEventType; data: unknown }[] = [],
    /** A person's answer that this change applies: on record once the change is made. */
    answer?: RunAnswer,
  ): Promise<RunRecord | null> {
    const record = await this.#runs.transition(runId, change);
    if (!record) return null;
    if (answer) await this.#answers.record(record.tenant, answer);
    await this.events.recordAll(runId, [
      ...extra,
      { type: "status", data: await this.#view(record) },
    ]);
    return record;
  }

  /** The run as the API shows it, with its answers. */
  async #view(record: RunRecord): Promise<Run> {
    return runView(record, await this.#answers.forRuns([record.run_id]));
  }

  /**
   * The run once it pauses or ends, or as it is after the wait bound (or at shutdown). Whichever
   * replica executes it, its status events (here) or the store's notifications (elsewhere) say
   * when to look; a slow poll covers notifications lost while the store reconnected.
   */
  async #waitUntilSettled(record: RunRecord): Promise<Run> {
    const runId = record.run_id;
    let wake = () => {};
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const look = () => {
      this.#runs.get(record.tenant, runId).then(
        (current) => {
          if (!current || SETTLED_STATUSES.has(current.status)) wake();
        },
        () => {},
      );
    };
    const unsubscribe = this.events.subscribe(runId, (event) => {
      if (event === null) look();
      else if (event.type === "status" && SETTLED_STATUSES.has((event.data as Run).status)) wake();
    });
    const poll = setInterval(look, this.#pollMs);
    const timer = setTimeout(wake, this.#waitMs);
    const onClose = () => wake();
    this.#closing.signal.addEventListener("abort", onClose, { once: true });
    try {
      const current = await this.#runs.get(record.tenant, runId);
      if (current && !SETTLED_STATUSES.has(current.status) && !this.#closing.signal.aborted) {
        await woken;
      }
      return this.#view((await this.#runs.get(record.tenant, runId)) ?? record);
    } finally {
      clearInterval(poll);
      clearTimeout(timer);
      unsubscribe();
      this.#closing.signal.removeEventListener("abort", onClose);
    }
  }

  async #find(tenant: string, runId: string): Promise<RunRecord> {
    const record = await this.#runs.get(tenant, runId);
    if (!record) throw notFound(`There is no run ${runId}.`);
    return record;
  }

  #graph(name: string): Compiled {
    const graph = this.#graphs.get(name);
    if (!graph) throw notFound(`There is no workflow named "${name}".`);
    return graph;
  }

  async #hasCheckpoint(runId: string): Promise<boolean> {
    return (await this.#checkpointer.getTuple(threadConfig(runId))) !== undefined;
  }
}

function threadConfig(runId: string, checkpointId?: string) {
  return {
    configurable: {
      thread_id: runId,
      checkpoint_ns: "",
      ...(checkpointId ? { checkpoint_id: checkpointId } : {}),
    },
  };
}

function checkpointIdOf(snapshot: StateSnapshot): string {
  return snapshot.config.configurable?.checkpoint_id as string;
}

function parentCheckpointId(snapshot: StateSnapshot): string | null {
  return (snapshot.parentConfig?.configurable?.checkpoint_id as string | undefined) ?? null;
}

function describeStatus(record: RunRecord): string {
  if (record.status === "failed") return record.error?.retryable ? "failed (retryable)" : "failed";
  return record.status;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
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

const keyReused = () =>
  new ProblemError(422, "This Idempotency-Key was used with another request body.", {
    type: PROBLEM_TYPES.idempotencyKeyReused,
  });

const keyInFlight = () =>
  new ProblemError(409, "The first request with this Idempotency-Key is still being answered.", {
    type: PROBLEM_TYPES.idempotencyKeyInFlight,
  });
