/**
 * What happens to runs, as a stored, numbered log (for `Last-Event-ID` replay, across
 * restarts and replicas) and as live notifications (for open event streams and waiting
 * requests) — from this process, and from the others through the store's notifications.
 */
import { EventEmitter } from "node:events";
import {
  isStoreUnavailable,
  type RunEvent,
  type RunEventLog,
  type RunEventType,
  type RunStatus,
} from "../storage/index.ts";
import { EventBacklog } from "./event-backlog.ts";
import type { RunLogger } from "./settings.ts";

/** Statuses at which a run stops on its own: someone has to answer, or it is over. */
export const SETTLED_STATUSES: ReadonlySet<RunStatus> = new Set([
  "interrupted",
  "completed",
  "failed",
  "cancelled",
]);

/** The emitter's name for "some run": tenant-wide streams listen to it. */
const ANY_RUN = Symbol("any run");

/** How long node updates wait to be stored together. */
const NODE_EVENT_BATCH_MS = 50;

export class RunEvents {
  readonly #log: RunEventLog;
  readonly #logger: RunLogger;
  readonly #emitter = new EventEmitter();
  readonly #backlog: EventBacklog;

  constructor(log: RunEventLog, logger: RunLogger) {
    this.#log = log;
    this.#logger = logger;
    this.#emitter.setMaxListeners(0);
    this.#backlog = new EventBacklog(log, (stored) => this.#told(stored), logger);
  }

  /**
   * Stores the event and tells the listeners. Never throws: while the store is away the event
   * is held and stored (and told) once it answers; any other failure is logged.
   */
  async record(runId: string, type: RunEventType, data: unknown): Promise<RunEvent | null> {
    const [event] = await this.recordAll(runId, [{ type, data }]);
    return event ?? null;
  }

  /** Several events at once, in one statement (so other replicas see them together). */
  async recordAll(
    runId: string,
    events: { type: RunEventType; data: unknown }[],
  ): Promise<RunEvent[]> {
    if (this.#backlog.has(runId)) {
      this.#backlog.hold(runId, events);
      return [];
    }
    try {
      const stored = await this.#log.append(runId, events);
      this.#told(stored);
      return stored;
    } catch (error) {
      if (isStoreUnavailable(error)) this.#backlog.hold(runId, events);
      else this.#logger.warn({ run_id: runId, err: error }, "could not record run events");
      return [];
    }
  }

  /** At shutdown: events still held get one last try. */
  close(): Promise<void> {
    return this.#backlog.close();
  }

  #told(stored: RunEvent[]): void {
    for (const event of stored) {
      this.#emitter.emit(event.run_id, event);
      this.#emitter.emit(ANY_RUN, event);
    }
  }

  /**
   * A recorder for the node updates of one execution. Updates arriving within
   * `NODE_EVENT_BATCH_MS` of each other are stored in one statement — one write per burst
   * instead of one per node — so streams see them that much later at most. `flush` stores
   * what is pending and waits for it.
   */
  recorder(runId: string): {
    node: (node: string, update: unknown) => void;
    flush: () => Promise<void>;
  } {
    let pending: { type: RunEventType; data: unknown }[] = [];
    let timer: NodeJS.Timeout | undefined;
    let chain: Promise<unknown> = Promise.resolve();
    const store = () => {
      clearTimeout(timer);
      timer = undefined;
      const batch = pending;
      pending = [];
      if (batch.length > 0) chain = chain.then(() => this.recordAll(runId, batch));
      return chain;
    };
    return {
      node: (node, update) => {
        pending.push({ type: "node", data: { node, update } });
        timer ??= setTimeout(store, NODE_EVENT_BATCH_MS);
      },
      flush: async () => {
        await store();
      },
    };
  }

  /**
   * `listener` gets each event this process records for the run, and `null` when another
   * replica changed the run (read the store to see what).
   */
  subscribe(runId: string, listener: (event: RunEvent | null) => void): () => void {
    this.#emitter.on(runId, listener);
    return () => this.#emitter.off(runId, listener);
  }

  /** Like `subscribe`, for the events of every run (tenant-wide streams filter them). */
  subscribeAll(listener: (event: RunEvent | null) => void): () => void {
    this.#emitter.on(ANY_RUN, listener);
    return () => this.#emitter.off(ANY_RUN, listener);
  }

  /** Another replica recorded events for the run (`undefined`: maybe for any run). */
  changedElsewhere(runId?: string): void {
    const runIds = runId === undefined ? this.#emitter.eventNames() : [runId, ANY_RUN];
    for (const id of runIds) this.#emitter.emit(id, null);
  }

  after(runId: string, afterEventId: number, limit: number): Promise<RunEvent[]> {
    return this.#log.after(runId, afterEventId, limit);
  }

  tenantAfter(
    tenant: string,
    types: readonly RunEventType[],
    afterEventId: number,
    limit: number,
  ): Promise<RunEvent[]> {
    return this.#log.tenantAfter(tenant, types, afterEventId, limit);
  }

  lastId(): Promise<number> {
    return this.#log.lastId();
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
