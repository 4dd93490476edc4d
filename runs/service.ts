/**
 * The run service: the one object every front end calls (REST routes, tools, MCP, and whatever
 * comes next) to start, resume, retry, cancel, wait for and read runs, their checkpoints and
 * their events. It speaks in domain types and throws domain errors (`runs/errors.ts`); turning
 * those into HTTP or MCP answers is the caller's business.
 *
 * The jobs live beside it: `commands.ts` (start, resume, cancel; idempotency in
 * `idempotency.ts`), `execution.ts` (the run queue), `waiting.ts`, `checkpoints.ts`,
 * `workflows.ts`, and the event log and stream (`events.ts`, `stream.ts`).
 */

import type { Actor } from "../lib/actor.ts";
import type { ServiceDeps } from "../nodes/context.ts";
import {
  type AuditEntry,
  type AuditQuery,
  InvalidCursorError,
  isStoreUnavailable,
  type RunEvent,
  type RunRecord,
  type Storage,
} from "../storage/index.ts";
import {
  type CheckpointPage,
  checkpointHistory,
  checkpointState,
  latestCheckpointState,
} from "./checkpoints.ts";
import { RunCommands } from "./commands.ts";
import { InvalidInputError, UnknownWorkflowError } from "./errors.ts";
import { RunEvents } from "./events.ts";
import { RunExecution } from "./execution.ts";
import { findRun, viewOf } from "./records.ts";
import { CheckpointPruner } from "./retention.ts";
import {
  type CheckpointState,
  type CheckpointSummary,
  type InterpretedStart,
  type ListRuns,
  type ResumeRun,
  type Run,
  type RunPage,
  runView,
  type StartOptions,
  type StartRun,
  type WorkflowView,
} from "./schemas.ts";
import { QUEUE_DEFAULTS, type QueueSettings, type RunLogger } from "./settings.ts";
import { streamRunEvents } from "./stream.ts";
import { streamTenantEvents } from "./tenant-stream.ts";
import { RunWaiter } from "./waiting.ts";
import { WorkflowGraphs } from "./workflows.ts";

export interface RunServiceOptions {
  storage: Pick<
    Storage,
    | "kind"
    | "runs"
    | "events"
    | "answers"
    | "writes"
    | "audit"
    | "retention"
    | "checkpointer"
    | "fencedCheckpointer"
    | "watch"
  >;
  /** `polar` gives each run its tenant's Polar (a single gateway serves every tenant alike). */
  deps: ServiceDeps;
  logger: RunLogger;
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
  /** How long finished runs keep every checkpoint (`CHECKPOINT_RETENTION_DAYS`); default 30 days. */
  checkpointRetentionMs?: number;
}

/** Following a run's events: those after `after`, then live ones until the run pauses or ends. */
export interface EventStreamOptions {
  /** The last event id the caller saw (0: none). */
  after: number;
  /** Gets each event as server-sent-event text, and keep-alive comments. */
  write: (chunk: string) => void;
  /** How an event reads as text (default: this API's own `id`/`event`/`data` form). */
  format?: (event: RunEvent) => string;
  /** The caller went away. */
  stop: AbortSignal;
  keepAliveMs: number;
}

/** A workflow's graph as LangGraph serializes it. */
export type GraphDrawing = {
  nodes: Record<string, unknown>[];
  edges: Record<string, unknown>[];
  [key: string]: unknown;
};
const DAY_MS = 86_400_000;
const FINISHED = new Set(["completed", "cancelled", "failed"]);

/** Entries per statement of an audit export. */
const AUDIT_EXPORT_PAGE = 1_000;

export class RunService {
  readonly #storage: RunServiceOptions["storage"];
  readonly #events: RunEvents;
  readonly #graphs: WorkflowGraphs;
  readonly #execution: RunExecution;
  readonly #commands: RunCommands;
  readonly #waiter: RunWaiter;
  readonly #pruner: CheckpointPruner;
  /** Aborted at shutdown: waiting requests answer with the run as it is; streams end. */
  readonly #closing = new AbortController();

  constructor(options: RunServiceOptions) {
    const queue = { ...QUEUE_DEFAULTS, ...options.queue };
    const { storage } = options;
    this.#storage = storage;
    this.#events = new RunEvents(storage.events, options.logger);
    // Executions write through the fence; reads see the same store.
    this.#graphs = new WorkflowGraphs(storage.fencedCheckpointer(queue.leaseMs));
    const retentionMs = options.checkpointRetentionMs ?? 30 * DAY_MS;
    this.#execution = new RunExecution({
      storage,
      events: this.#events,
      graphs: this.#graphs,
      deps: options.deps,
      log: options.logger,
      queue,
      concurrency: options.concurrency,
      ...(options.owner ? { owner: options.owner } : {}),
      onSettled: async (record) => {
        // Retention 0: a finished run keeps only its final checkpoint from now on.
        if (retentionMs === 0 && FINISHED.has(record.status)) this.#pruner.wake();
        await options.onSettled?.(record);
      },
      closing: this.#closing.signal,
    });
    this.#waiter = new RunWaiter({
      runs: storage.runs,
      events: this.#events,
      answers: storage.answers,
      waitMs: options.waitMs,
      pollMs: queue.pollMs,
      closing: this.#closing.signal,
    });
    this.#pruner = new CheckpointPruner({
      retention: storage.retention,
      retentionMs,
      owner: this.#execution.owner,
      log: options.logger,
    });
    this.#commands = new RunCommands({
      runs: storage.runs,
      events: this.#events,
      answers: storage.answers,
      graphs: this.#graphs,
      execution: this.#execution,
      waiter: this.#waiter,
    });
  }

  /** This replica's name in run leases. */
  get owner(): string {
    return this.#execution.owner;
  }

  listWorkflows(): Promise<WorkflowView[]> {
    return this.#graphs.views();
  }

  /** Starts a run of a workflow; see `RunCommands.start` for idempotency. */
  start(
    tenant: string,
    workflow: string,
    request: StartRun,
    options: StartOptions = {},
  ): Promise<{ run: Run; created: boolean }> {
    return this.#commands.start(tenant, workflow, request, options);
  }

  /**
   * Starts the run a request becomes once interpreted (free text); a repeat with the same key
   * and body answers the first run without interpreting again (`RunCommands.startInterpreted`).
   */
  startInterpreted(
    tenant: string,
    body: unknown,
    wait: boolean,
    interpret: () => Promise<InterpretedStart>,
    options: StartOptions = {},
  ): Promise<{ run: Run; created: boolean }> {
    return this.#commands.startInterpreted(tenant, body, wait, interpret, options);
  }

  /**
   * Answers the pending interrupt (`resume` given: approvers only), or retries a retryable
   * failure (any key of the tenant).
   */
  resume(actor: Actor, runId: string, request: ResumeRun): Promise<Run> {
    return this.#commands.resume(actor, runId, request);
  }

  cancel(tenant: string, runId: string): Promise<Run> {
    return this.#commands.cancel(tenant, runId);
  }

  async get(tenant: string, runId: string): Promise<Run> {
    return viewOf(this.#storage.answers, await findRun(this.#storage.runs, tenant, runId));
  }

  /**
   * The run once it pauses or ends — or as it is after the service's wait bound (or at
   * shutdown): callers that wait longer call again.
   */
  async waitFor(tenant: string, runId: string): Promise<Run> {
    return this.#waiter.untilSettled(await findRun(this.#storage.runs, tenant, runId));
  }

  /** The workflow's graph as LangGraph draws it: nodes and edges, as JSON. */
  async drawing(workflow: string): Promise<GraphDrawing> {
    const name = (await this.listWorkflows()).find((view) => view.name === workflow)?.name;
    if (name === undefined) throw new UnknownWorkflowError(workflow);
    return (await this.#graphs.graph(name).getGraphAsync()).toJSON() as unknown as GraphDrawing;
  }

  /** The tenant's runs, newest first, a page at a time. */
  async list(tenant: string, query: ListRuns): Promise<RunPage> {
    try {
      const page = await this.#storage.runs.list({ tenant, ...query });
      const answers = await this.#storage.answers.forRuns(page.runs.map((run) => run.run_id));
      const runs = page.runs.map((run) =>
        runView(
          run,
          answers.filter((answer) => answer.run_id === run.run_id),
        ),
      );
      return { runs, next_cursor: page.next_cursor };
    } catch (error) {
      if (error instanceof InvalidCursorError) {
        throw new InvalidInputError("The cursor is not one this service issued.", [
          { path: "query.cursor", message: "not a valid cursor" },
        ]);
      }
      throw error;
    }
  }

  /** Checkpoint history, newest first. */
  /** A page of the tenant's audit trail (people's answers and Polar writes), oldest first. */
  async audit(query: AuditQuery): Promise<{ entries: AuditEntry[]; next_cursor: string | null }> {
    try {
      return await this.#storage.audit.page(query);
    } catch (error) {
      if (error instanceof InvalidCursorError) {
        throw new InvalidInputError("The cursor is not one this service issued.", [
          { path: "query.cursor", message: "not a valid cursor" },
        ]);
      }
      throw error;
    }
  }

  /** Every matching audit entry, oldest first, read in bounded pages: constant memory. */
  async *auditExport(query: Omit<AuditQuery, "limit" | "cursor">): AsyncGenerator<AuditEntry> {
    let cursor: string | undefined;
    do {
      const page = await this.#storage.audit.page({
        ...query,
        limit: AUDIT_EXPORT_PAGE,
        ...(cursor ? { cursor } : {}),
      });
      yield* page.entries;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }

  async checkpoints(
    tenant: string,
    runId: string,
    page: CheckpointPage,
  ): Promise<CheckpointSummary[]> {
    const record = await findRun(this.#storage.runs, tenant, runId);
    return checkpointHistory(this.#graphs.graph(record.workflow), runId, page);
  }

  /** The state at one checkpoint of the run. */
  async checkpoint(tenant: string, runId: string, checkpointId: string): Promise<CheckpointState> {
    const record = await findRun(this.#storage.runs, tenant, runId);
    const graph = this.#graphs.graph(record.workflow);
    return checkpointState(graph, this.#storage.checkpointer, runId, checkpointId);
  }

  /** The state at the run's latest checkpoint; null before its first one. */
  async latestState(tenant: string, runId: string): Promise<CheckpointState | null> {
    const record = await findRun(this.#storage.runs, tenant, runId);
    return latestCheckpointState(this.#graphs.graph(record.workflow), runId);
  }

  /**
   * Streams the run's events to `options.write` until the run pauses or ends, the caller
   * stops, or the service shuts down. Check the run exists first (`get`): this does not throw.
   */
  async streamEvents(tenant: string, runId: string, options: EventStreamOptions): Promise<void> {
    const { runs } = this.#storage;
    await streamRunEvents({
      events: this.#events,
      runId,
      after: options.after,
      currentStatus: async () => {
        const run = await runs.get(tenant, runId).catch((error) => {
          if (isStoreUnavailable(error)) throw error;
          return null;
        });
        return run?.status ?? null;
      },
      write: options.write,
      stop: AbortSignal.any([options.stop, this.#closing.signal]),
      keepAliveMs: options.keepAliveMs,
      ...(options.format ? { format: options.format } : {}),
    });
  }

  /** The newest event id: a tenant stream opened without a cursor starts after it. */
  lastEventId(): Promise<number> {
    return this.#events.lastId();
  }

  /** Every run's status, interrupt and answer events of the tenant, until `options.stop`. */
  async streamTenantEvents(tenant: string, options: EventStreamOptions): Promise<void> {
    await streamTenantEvents({
      events: this.#events,
      tenant,
      after: options.after,
      write: options.write,
      stop: AbortSignal.any([options.stop, this.#closing.signal]),
      keepAliveMs: options.keepAliveMs,
    });
  }

  /** The id of the run's latest status event (0: none): a stream of what follows starts there. */
  async latestStatusEventId(tenant: string, runId: string): Promise<number> {
    await findRun(this.#storage.runs, tenant, runId);
    return (await this.#events.latestStatus(runId))?.event_id ?? 0;
  }

  /** At start-up: join the run queue; runs left behind continue (answers how many were running). */
  recover(): Promise<number> {
    this.#pruner.start();
    return this.#execution.recover();
  }

  /**
   * Shutdown: no new claims; each running run stops once its current step is stored, or after
   * `graceMs`, and goes back to the queue at once (still `running`), for another replica or the
   * next start-up.
   */
  async close(graceMs: number): Promise<void> {
    this.#closing.abort();
    await this.#pruner.stop();
    await this.#execution.close(graceMs);
    await this.#events.close();
  }
}
