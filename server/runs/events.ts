/**
 * What happens to runs, as a stored, numbered log (for `Last-Event-ID` replay, across
 * restarts) and as live notifications (for open event streams and waiting requests).
 */
import { EventEmitter } from "node:events";
import type { FastifyBaseLogger } from "fastify";
import type { RunEvent, RunEventLog, RunEventType, RunStatus } from "../../storage/index.ts";

/** Statuses at which a run stops on its own: someone has to answer, or it is over. */
export const SETTLED_STATUSES: ReadonlySet<RunStatus> = new Set([
  "interrupted",
  "completed",
  "failed",
  "cancelled",
]);

export class RunEvents {
  readonly #log: RunEventLog;
  readonly #logger: FastifyBaseLogger;
  readonly #emitter = new EventEmitter();

  constructor(log: RunEventLog, logger: FastifyBaseLogger) {
    this.#log = log;
    this.#logger = logger;
    this.#emitter.setMaxListeners(0);
  }

  /** Stores the event and tells the listeners. A failure is logged, never thrown: events are a view. */
  async record(runId: string, type: RunEventType, data: unknown): Promise<RunEvent | null> {
    try {
      const event = await this.#log.append(runId, type, data);
      this.#emitter.emit(runId, event);
      return event;
    } catch (error) {
      this.#logger.warn({ run_id: runId, type, err: error }, "could not record a run event");
      return null;
    }
  }

  /**
   * A recorder for the node updates of one execution: `onNodeUpdate` is synchronous, so the
   * writes are chained (in order) and `flush` waits for them.
   */
  recorder(runId: string): {
    node: (node: string, update: unknown) => void;
    flush: () => Promise<void>;
  } {
    let chain: Promise<unknown> = Promise.resolve();
    return {
      node: (node, update) => {
        chain = chain.then(() => this.record(runId, "node", { node, update }));
      },
      flush: async () => {
        await chain;
      },
    };
  }

  subscribe(runId: string, listener: (event: RunEvent) => void): () => void {
    this.#emitter.on(runId, listener);
    return () => this.#emitter.off(runId, listener);
  }

  after(runId: string, afterEventId: number, limit: number): Promise<RunEvent[]> {
    return this.#log.after(runId, afterEventId, limit);
  }

  latestStatus(runId: string): Promise<RunEvent | null> {
    return this.#log.latest(runId, "status");
  }
}

/** The status a `status` event reports (its data is the run). */
export function statusOf(event: RunEvent): RunStatus | null {
  if (event.type !== "status") return null;
  return ((event.data as { status?: RunStatus } | null)?.status ?? null) as RunStatus | null;
}
