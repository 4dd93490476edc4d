/**
 * The run service: the one place that starts, resumes, retries, cancels and recovers runs, and
 * reads their checkpoints. Routes stay thin; so will the tools and MCP front ends.
 *
 * Status changes are compare-and-set transitions in the registry, so that two requests never
 * both win (two resumes of one interrupt: one runs, the other gets 409), and a run's final
 * status is written `from: ["running"]` only, so a cancel is never overwritten.
 */
import { createHash } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import { z } from "zod";
import { getWorkflow, type Workflow, workflows } from "../../graphs/index.ts";
import {
  advanceRun,
  checkResume,
  type PendingInterrupt,
  ResumeRejectedError,
  type RunStart,
  type StepResult,
} from "../../graphs/runner.ts";
import { validate } from "../../lib/validation.ts";
import type { WorkflowDeps } from "../../nodes/context.ts";
import {
  InvalidCursorError,
  type RunEventType,
  type RunPatch,
  type RunRecord,
  type RunRegistry,
  type RunStatus,
  type Storage,
} from "../../storage/index.ts";
import { conflict, invalid, notFound, PROBLEM_TYPES, ProblemError } from "../problem.ts";
import { RunEvents, SETTLED_STATUSES } from "./events.ts";
import { CANCELLED, Executor, SHUTDOWN } from "./executor.ts";
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

/** How an execution moves a run on. */
type Move =
  /** A new (or recovered) run: from its input, or from its last checkpoint if it has one. */
  { kind: "start"; claim: boolean } | { kind: "resume"; value: unknown } | { kind: "retry" };

export interface RunServiceOptions {
  storage: Pick<Storage, "runs" | "events" | "checkpointer">;
  deps: WorkflowDeps;
  logger: FastifyBaseLogger;
  /** The longest a `wait: true` request waits for a run to pause or end. */
  waitMs: number;
  /** Runs that execute at once. */
  concurrency: number;
}

/** Runs left queued or running are picked up at start-up, up to this many. */
const RECOVERY_BATCH = 10_000;

export class RunService {
  readonly events: RunEvents;
  readonly #runs: RunRegistry;
  readonly #checkpointer: Storage["checkpointer"];
  readonly #deps: WorkflowDeps;
  readonly #log: FastifyBaseLogger;
  readonly #waitMs: number;
  readonly #executor: Executor;
  readonly #graphs = new Map<string, Compiled>();
  /** tenant + idempotency key → fingerprint, while the first request with that key is answered. */
  readonly #keysInFlight = new Map<string, string>();
  /** Aborted at shutdown: waiting requests answer with the run as it is. */
  readonly #closing = new AbortController();
  #workflowViews: WorkflowView[] | undefined;

  constructor(options: RunServiceOptions) {
    this.#runs = options.storage.runs;
    this.#checkpointer = options.storage.checkpointer;
    this.events = new RunEvents(options.storage.events, options.logger);
    this.#deps = options.deps;
    this.#log = options.logger;
    this.#waitMs = options.waitMs;
    this.#executor = new Executor(options.concurrency);
    for (const workflow of Object.values(workflows)) {
      this.#graphs.set(workflow.name, workflow.build(options.storage.checkpointer));
    }
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
    /** `internal`: polar-flows itself starts the run (a tool write), so internal workflows may run. */
    options: { internal?: boolean } = {},
  ): Promise<{ run: Run; created: boolean }> {
    const workflow = getWorkflow(workflowName);
    if (!workflow || (workflow.internal && !options.internal))
      throw notFound(`There is no workflow named "${workflowName}"; GET /v1/workflows lists them.`);
    const parsed = validate(workflow.input, body.input, ["input"]);
    if (!parsed.success) {
      throw invalid(`The input does not fit workflow ${workflow.name}.`, parsed.issues);
    }
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
      const current = body.wait ? await this.#waitUntilSettled(run) : runView(run);
      return { run: current, created: false };
    } finally {
      this.#keysInFlight.delete(slot);
    }
  }

  async get(tenant: string, runId: string): Promise<Run> {
    return runView(await this.#find(tenant, runId));
  }

  async list(
    tenant: string,
    query: { workflow?: string; status?: RunStatus; limit: number; cursor?: string },
  ): Promise<{ runs: Run[]; next_cursor: string | null }> {
    try {
      const page = await this.#runs.list({ tenant, ...query });
      return { runs: page.runs.map(runView), next_cursor: page.next_cursor };
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
   * retryable error from its last checkpoint (`resume` left out).
   */
  async resume(tenant: string, runId: string, body: ResumeBody): Promise<Run> {
    const record = await this.#find(tenant, runId);
    let claimed: RunRecord | null;
    let move: Move;
    if (!("resume" in body)) {
      if (record.status !== "failed" || !record.error?.retryable) {
        throw conflict(
          record.status === "interrupted"
            ? "The run waits for an answer: give it as `resume`."
            : `Only a run that failed with a retryable error can be retried; this one is ${describeStatus(record)}.`,
        );
      }
      claimed = await this.#setStatus(runId, {
        from: ["failed"],
        to: "running",
        set: { error: null },
      });
      move = { kind: "retry" };
    } else {
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
      claimed = await this.#setStatus(runId, {
        from: ["interrupted"],
        to: "running",
        set: { interrupt: null },
      });
      move = { kind: "resume", value };
    }
    if (!claimed) throw conflict("Another request moved the run on first.");
    const done = this.#execute(claimed, move);
    return body.wait ? this.#waitUntilSettled(claimed, done) : runView(claimed);
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
        set: { interrupt: null },
      });
      if (cancelled) {
        this.#executor.abort(runId, CANCELLED);
        return runView(cancelled);
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

  /** At start-up: runs left queued or running (a crash, a restart) go on from their last checkpoint. */
  async recover(): Promise<number> {
    const stranded = await this.#runs.listByStatus(["queued", "running"], RECOVERY_BATCH);
    for (const record of stranded) {
      this.#log.info(
        { run_id: record.run_id, status: record.status },
        "continuing a run after a restart",
      );
      void this.#execute(record, { kind: "start", claim: record.status === "queued" });
    }
    return stranded.length;
  }

  /**
   * Shutdown: no new executions; each running run stops once its current step is stored, or
   * after `graceMs`. Those runs stay `running` in the registry and continue at the next start-up.
   */
  async close(graceMs: number): Promise<void> {
    this.#closing.abort();
    await this.#executor.drain(graceMs);
  }

  // ---- execution ----

  /** Queues the execution of a run just created and, if asked, waits for it to settle. */
  async #launch(record: RunRecord, wait: boolean): Promise<Run> {
    await this.events.record(record.run_id, "status", runView(record));
    const done = this.#execute(record, { kind: "start", claim: true });
    return wait ? this.#waitUntilSettled(record, done) : runView(record);
  }

  #execute(record: RunRecord, move: Move): Promise<void> {
    return this.#executor
      .submit(record.run_id, (signal) => this.#advance(record, move, signal))
      .catch((error: unknown) => {
        this.#log.error({ run_id: record.run_id, err: error }, "run execution failed unexpectedly");
      });
  }

  async #advance(record: RunRecord, move: Move, signal: AbortSignal): Promise<void> {
    const runId = record.run_id;
    const workflow = getWorkflow(record.workflow);
    if (!workflow) {
      await this.#settle(runId, {
        status: "failed",
        error: {
          code: "internal",
          message: `unknown workflow ${record.workflow}`,
          retryable: false,
        },
        checkpoint_id: null,
      });
      return;
    }
    if (move.kind === "start" && move.claim) {
      const claimed = await this.#setStatus(runId, { from: ["queued"], to: "running" });
      if (!claimed) return; // cancelled while it waited
    }
    let start: RunStart;
    if (move.kind === "resume") start = { resume: move.value };
    else if (move.kind === "retry") start = { retry: true };
    else start = (await this.#hasCheckpoint(runId)) ? { retry: true } : { input: record.input };

    const recorder = this.events.recorder(runId);
    let result: StepResult;
    try {
      result = await advanceRun(workflow, this.#graph(workflow.name), runId, start, {
        deps: this.#deps,
        signal,
        onNodeUpdate: (node, update) => {
          recorder.node(node, update);
          // Shutting down: this step's writes are stored, so the run stops here and the next
          // start-up goes on from this point.
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
    if (signal.aborted && result.status === "failed") {
      // Cancelled (the cancel wrote the status) or shutting down (left running, for recovery).
      if (signal.reason === SHUTDOWN) this.#log.info({ run_id: runId }, "run paused by shutdown");
      return;
    }
    await this.#settle(runId, result);
  }

  /** Writes where the run stopped — unless it was cancelled meanwhile. */
  async #settle(runId: string, result: StepResult): Promise<void> {
    const checkpoint = result.checkpoint_id !== null ? { checkpoint_id: result.checkpoint_id } : {};
    let settled: RunRecord | null;
    if (result.status === "interrupted") {
      settled = await this.#setStatus(
        runId,
        {
          from: ["running"],
          to: "interrupted",
          set: { interrupt: result.interrupt, error: null, ...checkpoint },
        },
        [{ type: "interrupt", data: { interrupt: result.interrupt } }],
      );
    } else if (result.status === "completed") {
      settled = await this.#setStatus(runId, {
        from: ["running"],
        to: "completed",
        set: { output: result.output, interrupt: null, error: null, ...checkpoint },
      });
    } else {
      settled = await this.#setStatus(runId, {
        from: ["running"],
        to: "failed",
        set: { error: result.error, interrupt: null, ...checkpoint },
      });
      if (settled) this.#log.warn({ run_id: runId, error: result.error }, "run failed");
    }
    if (!settled)
      this.#log.info({ run_id: runId }, "run was cancelled while it ran; its result is dropped");
  }

  /**
   * The one way a status changes: a compare-and-set in the registry, then the events that
   * report it (extra ones first; the `status` event last, as the stream's end marker).
   */
  async #setStatus(
    runId: string,
    change: { from: readonly RunStatus[]; to: RunStatus; set?: RunPatch },
    extra: { type: RunEventType; data: unknown }[] = [],
  ): Promise<RunRecord | null> {
    const record = await this.#runs.transition(runId, change);
    if (!record) return null;
    for (const event of extra) await this.events.record(runId, event.type, event.data);
    await this.events.record(runId, "status", runView(record));
    return record;
  }

  /** The run once it pauses or ends, or as it is after the wait bound (or at shutdown). */
  async #waitUntilSettled(record: RunRecord, execution?: Promise<void>): Promise<Run> {
    const runId = record.run_id;
    let wake = () => {};
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const unsubscribe = this.events.subscribe(runId, (event) => {
      if (event.type === "status" && SETTLED_STATUSES.has((event.data as Run).status)) wake();
    });
    const timer = setTimeout(wake, this.#waitMs);
    const onClose = () => wake();
    this.#closing.signal.addEventListener("abort", onClose, { once: true });
    try {
      const current = await this.#runs.get(record.tenant, runId);
      if (current && !SETTLED_STATUSES.has(current.status) && !this.#closing.signal.aborted) {
        await Promise.race([woken, execution ?? woken]);
      }
      return runView((await this.#runs.get(record.tenant, runId)) ?? record);
    } finally {
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
