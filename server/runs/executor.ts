/**
 * Where runs execute: at most `concurrency` at once in this process, and one job per run at a
 * time — a job submitted for a run that still has one starts after it. Every job gets an
 * AbortSignal, aborted when its run is cancelled or when the server shuts down.
 */

/** Abort reasons a job can tell apart. */
export const CANCELLED = "cancelled";
export const SHUTDOWN = "shutdown";

type Job = (signal: AbortSignal) => Promise<void>;

interface Entry {
  controller: AbortController;
  started: boolean;
  done: Promise<void>;
}

export class Executor {
  readonly #concurrency: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #entries = new Map<string, Entry>();
  #closing = false;

  constructor(concurrency: number) {
    this.#concurrency = concurrency;
  }

  get closing(): boolean {
    return this.#closing;
  }

  /** Jobs submitted and not finished. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Runs `job` for the run once a slot is free and the run's previous job has finished.
   * Resolves when the job has finished (or was aborted before it started). During shutdown
   * nothing is started: the run stays as it is in the registry, for the next start-up.
   */
  submit(runId: string, job: Job): Promise<void> {
    if (this.#closing) return Promise.resolve();
    const previous = this.#entries.get(runId)?.done;
    const entry: Entry = {
      controller: new AbortController(),
      started: false,
      done: Promise.resolve(),
    };
    const { signal } = entry.controller;
    entry.done = (async () => {
      try {
        await previous;
        if (!(await this.#acquire(signal))) return;
        try {
          entry.started = true;
          if (!signal.aborted) await job(signal);
        } finally {
          this.#release();
        }
      } finally {
        if (this.#entries.get(runId) === entry) this.#entries.delete(runId);
      }
    })();
    this.#entries.set(runId, entry);
    return entry.done;
  }

  abort(runId: string, reason: typeof CANCELLED | typeof SHUTDOWN): void {
    this.#entries.get(runId)?.controller.abort(reason);
  }

  /**
   * Stops taking jobs, drops the ones still waiting for a slot, gives the running ones `graceMs`
   * to finish, then aborts them (their runs keep their last checkpoint and are continued at
   * the next start-up).
   */
  async drain(graceMs: number): Promise<void> {
    this.#closing = true;
    for (const entry of this.#entries.values()) {
      if (!entry.started) entry.controller.abort(SHUTDOWN);
    }
    const allDone = () =>
      Promise.allSettled([...this.#entries.values()].map((entry) => entry.done));
    if (await finishesWithin(allDone(), graceMs)) return;
    for (const entry of this.#entries.values()) entry.controller.abort(SHUTDOWN);
    // An aborted step returns promptly; bounded all the same.
    await finishesWithin(allDone(), 5_000);
  }

  /** Waits for a slot; false when the signal aborts first. */
  #acquire(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    if (this.#running < this.#concurrency) {
      this.#running += 1;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const grant = () => {
        signal.removeEventListener("abort", giveUp);
        this.#running += 1;
        resolve(true);
      };
      const giveUp = () => {
        const index = this.#waiting.indexOf(grant);
        if (index >= 0) this.#waiting.splice(index, 1);
        resolve(false);
      };
      signal.addEventListener("abort", giveUp, { once: true });
      this.#waiting.push(grant);
    });
  }

  #release(): void {
    this.#running -= 1;
    this.#waiting.shift()?.();
  }
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
