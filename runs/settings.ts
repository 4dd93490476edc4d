/** What the run core needs to be told: its timing, its concurrency, where it logs. */

/** The shared run queue's timing. */
export interface QueueSettings {
  /** How long a claim (or a renewal) holds a run before other replicas may take it over. */
  leaseMs: number;
  /** How often the leases of running runs are renewed; well below `leaseMs`. */
  renewMs: number;
  /** How often the queue is looked at without being told (notifications cover the rest). */
  pollMs: number;
}

export const QUEUE_DEFAULTS: QueueSettings = { leaseMs: 15_000, renewMs: 5_000, pollMs: 1_000 };

/**
 * The bound on each database statement of the run path: well inside the time a replica goes on
 * without a successful renewal (`leaseMs - renewMs`), so that a hung statement fails while the
 * lease still holds (docs/writes.md); at most 5 s.
 */
export function statementTimeoutFor(queue: QueueSettings): number {
  return Math.min(5_000, Math.floor((queue.leaseMs - queue.renewMs) / 2));
}

type LogFn = (context: object, message: string) => void;

/** A pino-style logger (the server's, or a silent one). */
export interface RunLogger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}
