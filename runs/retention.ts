/**
 * Keeps checkpoint storage from growing without bound (CHECKPOINT_RETENTION_DAYS): in the
 * background, in small batches, one replica at a time, finished runs older than the retention
 * keep only their final checkpoint (storage/retention.ts says which runs). Requests never wait
 * for it; a failed batch is tried again at the next tick.
 */
import type { CheckpointRetention } from "../storage/index.ts";
import type { RunLogger } from "./settings.ts";

export interface PrunerOptions {
  retention: CheckpointRetention;
  /** How long after it finished a run keeps all its checkpoints; 0: prune at once. */
  retentionMs: number;
  owner: string;
  log: RunLogger;
  /** Between ticks (default one minute). */
  intervalMs?: number;
  /** Runs per batch (default 20). */
  batch?: number;
}

/** Batches per tick at most: a backlog drains over several ticks, never in one long burst. */
const BATCHES_PER_TICK = 10;

export class CheckpointPruner {
  readonly #options: PrunerOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | null = null;
  #again = false;

  constructor(options: PrunerOptions) {
    this.#options = options;
  }

  start(): void {
    this.#timer ??= setInterval(() => this.wake(), this.#options.intervalMs ?? 60_000);
    this.#timer.unref();
    this.wake();
  }

  /** Prunes now (a run just finished and the retention is 0), or right after the current tick. */
  wake(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#tick().finally(() => {
      this.#running = null;
      if (this.#again) {
        this.#again = false;
        this.wake();
      }
    });
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#again = false;
    await this.#running;
  }

  async #tick(): Promise<void> {
    const { retention, retentionMs, owner, log } = this.#options;
    const batch = this.#options.batch ?? 20;
    try {
      for (let count = 0; count < BATCHES_PER_TICK; count++) {
        const pruned = await retention.prune({
          finishedBeforeMs: retentionMs,
          limit: batch,
          owner,
          leaseMs: 5 * 60_000,
        });
        if (pruned.runs > 0) log.debug(pruned, "pruned the checkpoints of finished runs");
        if (pruned.runs < batch) return;
      }
    } catch (error) {
      log.warn({ err: error }, "could not prune checkpoints; trying again later");
    }
  }
}
