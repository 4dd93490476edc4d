/**
 * Scheduled sweeps: every replica looks for due watches every `pollMs`, and each due tick is
 * claimed in the store (a compare-and-set of `next_sweep_at`), so exactly one replica starts its
 * sweep. The next tick is the first one after now — ticks missed while every replica was down
 * collapse into the one sweep that runs at the next start.
 */
import { randomUUID } from "node:crypto";
import type { RunLogger } from "../runs/settings.ts";
import type { WatchRecord, WatchStore } from "../storage/index.ts";
import { nextTick } from "./cron.ts";
import type { WatchService } from "./watches.ts";

export interface SweepSchedulerOptions {
  watches: WatchStore;
  service: WatchService;
  log: RunLogger;
  /** How often this replica looks for due watches. */
  pollMs: number;
  now?: () => Date;
}

/** Due watches claimed per look. */
const BATCH = 50;

export class SweepScheduler {
  readonly #options: SweepSchedulerOptions;
  readonly #now: () => Date;
  #timer: NodeJS.Timeout | undefined;
  #looking: Promise<void> | undefined;

  constructor(options: SweepSchedulerOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  /** Starts sweeps claimed before every replica died, then looks for due watches on a timer. */
  async start(): Promise<void> {
    await this.#startOrphans();
    this.#timer = setInterval(() => void this.tick(), this.#options.pollMs);
    this.#timer.unref();
    void this.tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#looking;
  }

  /** One look: claims each due tick and starts its sweep (answers how many this replica started). */
  async tick(): Promise<number> {
    if (this.#looking) {
      await this.#looking;
      return 0;
    }
    let started = 0;
    this.#looking = (async () => {
      try {
        const now = this.#now();
        for (const watch of await this.#options.watches.due(now.toISOString(), BATCH)) {
          if (await this.#claimAndStart(watch, now)) started += 1;
        }
      } catch (error) {
        this.#options.log.warn({ err: error }, "could not look for due watches");
      }
    })();
    try {
      await this.#looking;
    } finally {
      this.#looking = undefined;
    }
    return started;
  }

  async #claimAndStart(watch: WatchRecord, now: Date): Promise<boolean> {
    if (!watch.schedule || !watch.next_sweep_at) return false;
    const next = nextTick(watch.schedule, now);
    const runId = randomUUID();
    const claimed = await this.#options.watches.claimTick(
      watch,
      watch.next_sweep_at,
      next?.toISOString() ?? null,
      { run_id: runId, at: now.toISOString() },
    );
    if (!claimed) return false;
    await this.#options.service.startSweep(watch, { dry_run: false, wait: false, runId });
    this.#options.log.info(
      { watch: watch.name, tenant: watch.tenant, run_id: runId, tick: watch.next_sweep_at },
      "scheduled sweep started",
    );
    return true;
  }

  /** A tick claimed by a replica that died before creating its run: create that run now. */
  async #startOrphans(): Promise<void> {
    try {
      for (const watch of await this.#options.watches.orphanedSweeps()) {
        await this.#options.service.startSweep(watch, {
          dry_run: false,
          wait: false,
          runId: watch.last_sweep_run_id!,
        });
      }
    } catch (error) {
      this.#options.log.warn({ err: error }, "could not start the sweeps of claimed ticks");
    }
  }
}
