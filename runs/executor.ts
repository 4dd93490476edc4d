/**
 * Where runs execute: this replica's share of the shared run queue. It claims runs
 * from the registry — never more than `concurrency` at once — under leases it renews while they
 * run, and hands each to `execute`. Every execution gets an AbortSignal, aborted when its run is
 * cancelled here, when its lease is lost (taken over, or the run was cancelled elsewhere), or
 * when the replica shuts down. The store is the only coordination between replicas.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import {
  isStoreUnavailable,
  type Lease,
  type RunRecord,
  type RunRegistry,
} from "../storage/index.ts";
import { LEASE_LOST } from "./errors.ts";
import type { QueueSettings, RunLogger } from "./settings.ts";

/** Abort reasons an execution can tell apart. */
export const CANCELLED = "cancelled";
export const SHUTDOWN = "shutdown";
export type AbortReason = typeof CANCELLED | typeof SHUTDOWN | typeof LEASE_LOST;

/**
 * How an execution ended: `done` — the run moved on (settled, or is not ours any more); `paused`
 * — it stopped between steps (shutdown) and goes back to the queue for any replica.
 */
export type Outcome = "done" | "paused";

export interface ExecutorOptions extends QueueSettings {
  runs: RunRegistry;
  concurrency: number;
  /** This replica's name in leases; default: host, process id and a random suffix. */
  owner?: string;
  execute: (
    record: RunRecord,
    lease: Lease,
    signal: AbortSignal,
    leaseLeftMs: () => number,
  ) => Promise<Outcome>;
  log: RunLogger;
}

interface Execution {
  lease: Lease;
  controller: AbortController;
  /**
   * `performance.now()` when the statement that last extended the lease was sent: the lease
   * lasts at least `leaseMs` from then, by this process's clock.
   */
  renewedAt: number;
  done: Promise<void>;
}

export class Executor {
  readonly owner: string;
  readonly #options: ExecutorOptions;
  readonly #executions = new Map<string, Execution>();
  #pumping = false;
  #pumpAgain = false;
  #timers: NodeJS.Timeout[] = [];
  #started = false;
  #closing = false;

  constructor(options: ExecutorOptions) {
    this.#options = options;
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  }

  /** Starts claiming (idempotent): at once, then on every poll and every `wake`. */
  start(): void {
    if (this.#started || this.#closing) return;
    this.#started = true;
    const { pollMs, renewMs } = this.#options;
    this.#timers = [
      setInterval(() => this.wake(), pollMs),
      setInterval(() => void this.#renew(), renewMs),
      // Apart from the renewals: a renewal that hangs must not keep a run going.
      setInterval(() => this.#stopLapsing(), Math.max(10, Math.min(renewMs / 4, 1_000))),
    ];
    for (const timer of this.#timers) timer.unref();
    this.wake();
  }

  /** Looks at the queue now: a run was queued or handed back, or a slot came free. */
  wake(): void {
    if (!this.#started) {
      this.start();
      return;
    }
    void this.#pump();
  }

  abort(runId: string, reason: AbortReason): void {
    this.#executions.get(runId)?.controller.abort(reason);
  }

  /**
   * Graceful drain: claims nothing more, gives running executions `graceMs` to stop (each
   * stops at its next checkpoint once the caller asks it to), then aborts the rest. Executions
   * that paused hand their runs back to the queue, so another replica continues them at once.
   */
  async drain(graceMs: number): Promise<void> {
    this.#closing = true;
    clearInterval(this.#timers[0]);
    const allDone = async () => {
      while (this.#executions.size > 0) {
        await Promise.allSettled([...this.#executions.values()].map((execution) => execution.done));
      }
    };
    if (!(await finishesWithin(allDone(), graceMs))) {
      for (const execution of this.#executions.values()) execution.controller.abort(SHUTDOWN);
      // An aborted step returns promptly; bounded all the same.
      await finishesWithin(allDone(), 5_000);
    }
    for (const timer of this.#timers) clearInterval(timer);
  }

  /** Claims runs while slots are free; one pump at a time, re-run if woken meanwhile. */
  async #pump(): Promise<void> {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        while (!this.#closing) {
          const free = this.#options.concurrency - this.#executions.size;
          if (free <= 0) break;
          const asked = performance.now();
          const claimed = await this.#options.runs.claim(this.owner, free, this.#options.leaseMs);
          for (const record of claimed) this.#run(record, asked);
          if (claimed.length < free) break;
        }
      } while (this.#pumpAgain && !this.#closing);
    } catch (error) {
      logStoreFailure(this.#options.log, error, "could not claim runs from the queue");
    } finally {
      this.#pumping = false;
    }
  }

  #run(record: RunRecord, claimedAt: number): void {
    const lease: Lease = {
      run_id: record.run_id,
      owner: this.owner,
      generation: record.lease_generation,
    };
    // Our own earlier execution of this run lost its lease (it could not renew in time) and
    // has not noticed yet: it stops, and its writes are fenced out by the generation.
    this.#executions.get(record.run_id)?.controller.abort(LEASE_LOST);
    const execution: Execution = {
      lease,
      controller: new AbortController(),
      renewedAt: claimedAt,
      done: Promise.resolve(),
    };
    this.#executions.set(record.run_id, execution);
    this.#options.log.debug(
      { run_id: record.run_id, generation: lease.generation },
      "claimed a run from the queue",
    );
    execution.done = (async () => {
      try {
        // Claimed just as the drain began: straight back to the queue.
        const outcome = this.#closing
          ? "paused"
          : await this.#options.execute(record, lease, execution.controller.signal, () =>
              this.#leaseLeftMs(execution),
            );
        if (outcome === "paused" && (await this.#options.runs.release(lease))) {
          this.#options.log.info(
            { run_id: record.run_id },
            "handed a paused run back to the queue",
          );
        }
      } catch (error) {
        // The lease lapses and the run is tried again then, by any replica.
        this.#options.log.error(
          { run_id: record.run_id, err: error },
          "run execution failed unexpectedly",
        );
      } finally {
        if (this.#executions.get(record.run_id) === execution) {
          this.#executions.delete(record.run_id);
        }
        if (!this.#closing) this.wake();
      }
    })();
  }

  /**
   * Extends the leases of every execution here in one statement. An execution whose lease is
   * gone stops; so does one whose lease could not be renewed in time (`#stopLapsing`).
   */
  async #renew(): Promise<void> {
    const { leaseMs } = this.#options;
    const executions = [...this.#executions.values()];
    if (executions.length === 0) return;
    const asked = performance.now();
    try {
      const held = new Set(
        await this.#options.runs.renew(
          executions.map((execution) => execution.lease),
          leaseMs,
        ),
      );
      for (const execution of executions) {
        if (held.has(execution.lease.run_id))
          execution.renewedAt = Math.max(execution.renewedAt, asked);
        else this.#lose(execution, "the run was cancelled or taken over");
      }
    } catch (error) {
      logStoreFailure(this.#options.log, error, "could not renew run leases");
      this.#stopLapsing();
    }
  }

  /** How long the execution's lease surely lasts yet, by this process's clock. */
  #leaseLeftMs(execution: Execution): number {
    return execution.renewedAt + this.#options.leaseMs - performance.now();
  }

  /**
   * Stops every execution whose lease has less than a renewal interval left by this process's
   * own clock — renewals failing or hanging alike — before another replica may take its run.
   */
  #stopLapsing(): void {
    for (const execution of this.#executions.values()) {
      if (this.#leaseLeftMs(execution) <= this.#options.renewMs) {
        this.#lose(execution, "its lease could not be renewed in time");
      }
    }
  }

  #lose(execution: Execution, why: string): void {
    if (execution.controller.signal.aborted) return;
    this.#options.log.warn(
      { run_id: execution.lease.run_id, generation: execution.lease.generation },
      `stopping a run here: ${why}`,
    );
    execution.controller.abort(LEASE_LOST);
  }
}

/** While the store is away its loss was told once already; every poll need not repeat it. */
function logStoreFailure(log: RunLogger, error: unknown, message: string): void {
  if (isStoreUnavailable(error)) log.debug({ code: (error as { code?: string }).code }, message);
  else log.warn({ err: error }, message);
}

async function finishesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
