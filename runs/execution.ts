/**
 * Execution: this replica takes part in the shared run queue (its `Executor` claims runs under
 * leases) and advances each claimed run until it pauses or ends. A run's final status is written
 * `from: ["running"]` under the execution's lease only, so a cancel is never overwritten and a
 * replica that lost the run writes nothing.
 */
import { getWorkflow } from "../graphs/index.ts";
import type { ServiceDeps } from "../nodes/context.ts";
import {
  isStoreUnavailable,
  type Lease,
  type RunPatch,
  type RunRecord,
  STORE_UNAVAILABLE,
  type Storage,
  type StoreChange,
  StoreUnavailableError,
} from "../storage/index.ts";
import { hasCheckpoint } from "./checkpoints.ts";
import { LEASE_LOST } from "./errors.ts";
import type { RunEvents } from "./events.ts";
import { CANCELLED, Executor, type Outcome, SHUTDOWN } from "./executor.ts";
import { setStatus } from "./records.ts";
import { advanceRun, pendingInterruptId, type RunStart, type StepResult } from "./runner.ts";
import { runView } from "./schemas.ts";
import type { QueueSettings, RunLogger } from "./settings.ts";
import { retryWhileStoreAway } from "./store-retry.ts";
import type { CompiledWorkflow, WorkflowGraphs } from "./workflows.ts";
import { RunWriteJournal, writeActor } from "./write-journal.ts";

export interface ExecutionOptions {
  storage: Pick<Storage, "kind" | "runs" | "answers" | "writes" | "checkpointer" | "watch">;
  events: RunEvents;
  graphs: WorkflowGraphs;
  deps: ServiceDeps;
  log: RunLogger;
  queue: QueueSettings;
  /** Runs that execute at once in this process. */
  concurrency: number;
  /** This replica's name in leases (default: host, process id, a random suffix). */
  owner?: string;
  /** Aborted at shutdown: running runs stop at their next checkpoint. */
  closing: AbortSignal;
  /** Told when a run this replica executed pauses or ends (notices); must not throw. */
  onSettled?: (record: RunRecord) => Promise<void>;
}

export class RunExecution {
  readonly #options: ExecutionOptions;
  readonly #executor: Executor;
  #unwatch: (() => void) | undefined;

  constructor(options: ExecutionOptions) {
    this.#options = options;
    this.#executor = new Executor({
      ...options.queue,
      runs: options.storage.runs,
      concurrency: options.concurrency,
      ...(options.owner ? { owner: options.owner } : {}),
      execute: (record, lease, signal, leaseLeftMs) =>
        this.#advance(record, lease, signal, leaseLeftMs),
      log: options.log,
    });
  }

  /** This replica's name in run leases. */
  get owner(): string {
    return this.#executor.owner;
  }

  /** Takes part in the queue (from the first use on) and looks at it now. */
  work(): void {
    this.#unwatch ??= this.#options.storage.watch((change) => this.#heard(change));
    this.#executor.wake();
  }

  /** A cancelled run executing here stops now. */
  cancelled(runId: string): void {
    this.#executor.abort(runId, CANCELLED);
  }

  /**
   * At start-up: join the run queue; runs left queued or running continue from their last
   * checkpoint. One node (SQLite): the leases an earlier process left are void, so its runs go
   * on at once (answers how many were running). Several (PostgreSQL): a dead replica's runs are
   * taken over as their leases lapse.
   */
  async recover(): Promise<number> {
    const { storage } = this.#options;
    const handedBack = storage.kind === "sqlite" ? await storage.runs.releaseAll() : 0;
    this.work();
    return handedBack;
  }

  /** No new claims; running runs stop once their current step is stored, or after `graceMs`. */
  async close(graceMs: number): Promise<void> {
    await this.#executor.drain(graceMs);
    this.#unwatch?.();
  }

  #heard(change: StoreChange): void {
    const { events } = this.#options;
    if (change.kind === "event") {
      events.changedElsewhere(change.run_id);
    } else if (change.kind === "ready") {
      this.#executor.wake();
    } else if (change.kind === "cancelled") {
      this.#executor.abort(change.run_id, CANCELLED);
    } else {
      events.changedElsewhere();
      this.#executor.wake();
    }
  }

  /** One execution of a claimed run, until it pauses or ends; see `Outcome`. */
  async #advance(
    record: RunRecord,
    lease: Lease,
    signal: AbortSignal,
    leaseLeftMs: () => number,
  ): Promise<Outcome> {
    const { events, graphs, log, closing, storage, queue } = this.#options;
    const runId = record.run_id;
    // Its first claim took it from queued to running.
    if (record.lease_generation === 1) await events.record(runId, "status", runView(record));
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
    const graph = graphs.graph(workflow.name);
    const recorder = events.recorder(runId);
    const journal = new RunWriteJournal({
      log: storage.writes,
      lease,
      actor: () => writeActor(record, storage.answers),
      // A write goes out only with more than a renewal interval of the lease left.
      minLeftMs: queue.renewMs,
      leaseLeftMs,
    });
    let result: StepResult;
    const retrying = {
      signal,
      onRetry: (_: unknown, delayMs: number) =>
        log.info({ run_id: runId, delay_ms: delayMs }, "store away: retrying the step"),
    };
    const step = async () => {
      const stepped = await advanceRun(workflow, graph, runId, await this.#startOf(record, graph), {
        deps: { ...this.#options.deps, polar: this.#options.deps.polar.forTenant(record.tenant) },
        lease,
        signal,
        journal,
        onNodeUpdate: (node, update) => {
          recorder.node(node, update);
          // Shutting down: this step's writes are on their way to the store, so the run stops
          // here and goes back to the queue from this point.
          if (closing.aborted) this.#executor.abort(runId, SHUTDOWN);
        },
      });
      if (stepped.status === "failed" && stepped.error.code === STORE_UNAVAILABLE) {
        throw new StoreUnavailableError(stepped.error.message);
      }
      return stepped;
    };
    try {
      result = await retryWhileStoreAway(step, retrying);
    } catch (error) {
      if (isStoreUnavailable(error)) {
        // Still away: not a failure for a person — the run goes back to the queue (or its
        // lease lapses), and continues from its last checkpoint.
        await recorder.flush();
        log.warn({ run_id: runId }, "store away: the run waits in the queue");
        return signal.aborted && signal.reason !== SHUTDOWN ? "done" : "paused";
      }
      // advanceRun classifies the graph's own errors; this is the store failing under it.
      log.error({ run_id: runId, err: error }, "run step failed outside the graph");
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
    if (result.status === "failed" && result.error.code === LEASE_LOST) {
      log.info({ run_id: runId }, "run lost its lease; its result is dropped");
      return "done";
    }
    if (signal.aborted && result.status === "failed") {
      // Cancelled (the cancel wrote the status), lost (someone else has it now) or shutting
      // down (back to the queue).
      if (signal.reason !== SHUTDOWN) return "done";
      log.info({ run_id: runId }, "run paused by shutdown");
      return "paused";
    }
    await retryWhileStoreAway(() => this.#settle(lease, result), retrying);
    return "done";
  }

  /**
   * Where a claimed run goes on from: a person's answer, if its interrupt is still the pending
   * one (a replica that died after applying it leaves the run past it); else its last
   * checkpoint; else its input.
   */
  async #startOf(record: RunRecord, graph: CompiledWorkflow): Promise<RunStart> {
    const pending = record.pending_resume;
    if (pending && (await pendingInterruptId(graph, record.run_id)) === pending.interrupt_id) {
      // Already on record unless the answering request died right after storing the answer.
      if (pending.answer) await this.#options.storage.answers.record(record.tenant, pending.answer);
      return { resume: pending.value };
    }
    return (await hasCheckpoint(this.#options.storage.checkpointer, record.run_id))
      ? { retry: true }
      : { input: record.input };
  }

  /** Writes where the run stopped — if the lease still holds (not cancelled, not taken over). */
  async #settle(lease: Lease, result: StepResult): Promise<void> {
    const { storage, events, log } = this.#options;
    const runId = lease.run_id;
    const set: RunPatch = { pending_resume: null };
    if (result.checkpoint_id !== null) set.checkpoint_id = result.checkpoint_id;
    let settled: RunRecord | null;
    if (result.status === "interrupted") {
      settled = await setStatus(
        storage.runs,
        events,
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
      settled = await setStatus(storage.runs, events, runId, {
        from: ["running"],
        to: "completed",
        set: { ...set, output: result.output, interrupt: null, error: null },
        lease,
      });
    } else {
      settled = await setStatus(storage.runs, events, runId, {
        from: ["running"],
        to: "failed",
        set: { ...set, error: result.error, interrupt: null },
        lease,
      });
      if (settled) {
        const details = { run_id: runId, error: result.error, err: result.cause };
        if (result.error.error_id) log.error(details, "run failed unexpectedly");
        else log.warn(details, "run failed");
      }
    }
    if (settled) await this.#options.onSettled?.(settled);
    if (!settled) {
      log.info(
        { run_id: runId },
        "run was cancelled or taken over while it ran; its result is dropped",
      );
    }
  }
}
