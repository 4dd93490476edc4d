import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import type { WatchStore } from "./watches.ts";
import type { WebhookLog } from "./webhooks.ts";

export const RUN_STATUSES = [
  "queued",
  "running",
  "interrupted",
  "completed",
  "failed",
  "cancelled",
] as const;

export type RunStatus = (typeof RUN_STATUSES)[number];

export interface RunError {
  code: string;
  /** Our own words: never an exception's or another service's text. */
  message: string;
  retryable: boolean;
  /** For an unexpected error: the id under which the service's log has its details. */
  error_id?: string;
}

/** One run = one LangGraph thread (`thread_id = run_id`). */
export interface RunRecord {
  run_id: string;
  tenant: string;
  workflow: string;
  status: RunStatus;
  input: unknown;
  metadata: Record<string, unknown>;
  interrupt: unknown | null;
  output: unknown | null;
  error: RunError | null;
  checkpoint_id: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  /** A person's answer waiting for a replica to apply it (the run is `running`, not leased yet). */
  pending_resume: PendingResume | null;
  /** The replica executing the run, while it holds the lease; null: nobody (queued, or settled). */
  lease_owner: string | null;
  /** Grows by one with each claim: the fencing token of the current (or last) execution. */
  lease_generation: number;
  /** ISO 8601; after it, any replica may claim the run. */
  lease_expires_at: string | null;
  /** The name of the key that started the run (null: started by the service itself). */
  started_by: string | null;
  /** ISO 8601, millisecond precision, UTC. */
  created_at: string;
  updated_at: string;
}

export interface PendingResume {
  interrupt_id: string;
  value: unknown;
  /** Who gave the answer, recorded again (idempotently) when a replica applies it. */
  answer?: RunAnswer;
}

/** A person's answer to an interrupt, on record (`run_answers`). */
export interface RunAnswer {
  run_id: string;
  interrupt_id: string;
  node: string;
  kind: string;
  /** `approved` / `rejected` for an approval; `answered` for a choice or a clarification. */
  action: "approved" | "rejected" | "answered";
  /** The answering key's name. */
  answered_by: string;
  /** ISO 8601, millisecond precision, UTC. */
  answered_at: string;
  note: string | null;
  /** The resume payload as given. */
  resume: unknown;
  /** The Polar customer the run is about, when the interrupt named one (for the audit trail). */
  customer_id?: string | null;
}

/** Every answer given to a run's interrupts; one per interrupt. */
export interface AnswerLog {
  /** Stores the answer unless its interrupt already has one (a replica applying it again). */
  record(tenant: string, answer: RunAnswer): Promise<void>;
  /** The runs' answers, oldest first. */
  forRuns(runIds: readonly string[]): Promise<RunAnswer[]>;
}

export const POLAR_WRITE_ACTIONS = [
  "checkout.create",
  "subscription.cancel_at_period_end",
  "events.ingest",
  "benefit.create",
] as const;
export type PolarWriteAction = (typeof POLAR_WRITE_ACTIONS)[number];

/**
 * `pending`: recorded, sent (or about to be), no answer recorded; `unknown`: sent, and the
 * answer was lost (timeout, 5xx); `succeeded`/`failed`: Polar's answer.
 */
export type PolarWriteStatus = "pending" | "succeeded" | "failed" | "unknown";

/** One Polar write of a run, on record (`polar_writes`): one row per write, whatever retries. */
export interface PolarWriteEntry {
  write_id: number;
  tenant: string;
  run_id: string;
  workflow: string;
  node: string;
  action: PolarWriteAction;
  idempotency_key: string;
  /** Times it was sent. */
  attempt: number;
  customer_id: string | null;
  /** Who approved the run, or started it with approval off (`watch:<name>` for a watch). */
  actor: string;
  /** What was sent, in short (no secrets). */
  request: Record<string, unknown>;
  status: PolarWriteStatus;
  polar_object_id: string | null;
  /** What the node kept of Polar's answer: a node executed again answers with it. */
  result: unknown;
  error: string | null;
  /** ISO 8601, millisecond precision, UTC: when it was (last) sent. */
  sent_at: string;
  answered_at: string | null;
}

export type PolarWriteIntent = Pick<
  PolarWriteEntry,
  "node" | "action" | "idempotency_key" | "customer_id" | "actor" | "request"
>;

/** The journal of Polar writes, in the same store as the runs. */
export interface PolarWriteLog {
  /** The run's write with that action and key, if any was recorded. */
  find(runId: string, action: PolarWriteAction, key: string): Promise<PolarWriteEntry | null>;
  /**
   * Records that the write is about to be sent (`pending`, attempt + 1, `sent_at` now) — only
   * while `lease` holds with at least `minLeftMs` of it left by the store's clock; otherwise
   * throws `LeaseLostError` and records nothing.
   */
  sending(intent: PolarWriteIntent, lease: Lease, minLeftMs: number): Promise<PolarWriteEntry>;
  /** Polar's answer (or its loss) for a write recorded by `sending`. */
  answered(
    writeId: number,
    outcome: {
      status: Exclude<PolarWriteStatus, "pending">;
      polar_object_id?: string | null;
      result?: unknown;
      error?: string | null;
    },
  ): Promise<void>;
}

/** One entry of the audit trail (DESIGN §11). */
export interface AuditEntry {
  id: string;
  /** ISO 8601: when the answer was given, or when the write was sent. */
  at: string;
  tenant: string;
  run_id: string;
  workflow: string;
  kind: "answer" | "polar_write";
  action: string;
  actor: string;
  detail: Record<string, unknown>;
}

export interface AuditQuery {
  tenant: string;
  run_id?: string;
  /** Entries of runs about this customer, answers included. */
  customer_id?: string;
  kind?: AuditEntry["kind"];
  /** ISO 8601, inclusive. */
  since?: string;
  /** ISO 8601, exclusive. */
  until?: string;
  limit: number;
  cursor?: string;
}

/** People's answers and Polar writes, oldest first; never pruned. */
export interface AuditLog {
  /** Throws `InvalidCursorError` for a cursor it did not issue. */
  page(query: AuditQuery): Promise<{ entries: AuditEntry[]; next_cursor: string | null }>;
}

/** Checkpoint retention: finished runs keep only their final checkpoint (storage/retention.ts). */
export interface CheckpointRetention {
  /**
   * Prunes up to `limit` finished runs that finished at least `finishedBeforeMs` ago, if this
   * replica (`owner`) has the pruning turn (taken for `leaseMs`); answers what it did.
   */
  prune(options: {
    finishedBeforeMs: number;
    limit: number;
    owner: string;
    leaseMs: number;
  }): Promise<{ runs: number; checkpoints: number }>;
  /** Gives the pruning turn back (at the end of each tick), if `owner` holds it. */
  release(owner: string): Promise<void>;
  /** Rows and bytes a run's checkpoints take. */
  footprint(runId: string): Promise<{ rows: number; bytes: number }>;
}

/** The right to execute one run, held by one replica; `generation` fences out earlier holders. */
export interface Lease {
  run_id: string;
  owner: string;
  generation: number;
}

/** Where an execution's lease travels in its LangGraph config (`configurable`). */
export const LEASE_KEY = "polar_flows_lease";

/** A write refused because the writer's lease on the run is gone (taken over, cancelled). */
export class LeaseLostError extends Error {
  readonly runId: string;

  constructor(runId: string) {
    super(`the lease on run ${runId} was lost; another replica or a cancel has it now`);
    this.name = "LeaseLostError";
    this.runId = runId;
  }
}

export interface NewRun {
  /** Defaults to a random UUID. */
  run_id?: string;
  tenant: string;
  workflow: string;
  input: unknown;
  metadata: Record<string, unknown>;
  /** Defaults to `queued`. */
  status?: RunStatus;
  idempotency_key?: string | null;
  request_hash?: string | null;
  /** The starting key's name, for the audit trail. */
  started_by?: string | null;
}

/**
 * Fields a transition may set, each replaced whole (`metadata` too);
 * `undefined` leaves a field as it is, `null` clears it.
 */
export type RunPatch = Partial<
  Pick<
    RunRecord,
    "interrupt" | "output" | "error" | "checkpoint_id" | "metadata" | "pending_resume"
  >
>;

export interface ListRunsQuery {
  tenant: string;
  workflow?: string;
  status?: RunStatus;
  /** The input's customer: its Polar id or external id, exactly. */
  customer?: string;
  limit: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
}

export interface RunPage {
  runs: RunRecord[];
  next_cursor: string | null;
}

/** A compare-and-set of a run's status (`RunRegistry.transition`). */
export interface RunTransition {
  from: readonly RunStatus[];
  to: RunStatus;
  set?: RunPatch;
  /** Only while this lease holds (an execution settling its run). */
  lease?: Lease;
  /** Only while the run waits on this interrupt (an answer to it). */
  interruptId?: string;
}

export interface RunRegistry {
  /**
   * Inserts a run. With an idempotency key, returns the tenant's existing run for that key
   * instead (`created: false`); the caller compares `request_hash`.
   */
  create(run: NewRun): Promise<{ run: RunRecord; created: boolean }>;
  /** `null` for an unknown run and for another tenant's run. */
  get(tenant: string, runId: string): Promise<RunRecord | null>;
  /** The tenant's run started with this idempotency key, or `null`. */
  getByIdempotencyKey(tenant: string, key: string): Promise<RunRecord | null>;
  /** Newest first. Throws `InvalidCursorError` for a cursor it did not issue. */
  list(query: ListRunsQuery): Promise<RunPage>;
  /**
   * Atomic compare-and-set of the status: `null` when the run is unknown, its status is not one
   * of `from`, (with `lease`) that lease no longer holds, or (with `interruptId`) the run waits
   * on another interrupt. Always bumps `updated_at`, and ends
   * any lease: the run is finished, waits for a person, or is back in the queue for any replica.
   */
  transition(runId: string, change: RunTransition): Promise<RunRecord | null>;
  /**
   * The shared run queue: atomically leases up to `limit` runs that are `queued`, or `running`
   * with no live lease (handed back, or their replica died), oldest first, to `owner` for
   * `leaseMs`; each claim bumps the generation (`queued` ones become `running`). Concurrent
   * claims never return the same run.
   */
  claim(owner: string, limit: number, leaseMs: number): Promise<RunRecord[]>;
  /** Extends the leases that still hold; answers the run ids whose lease does. */
  renew(leases: readonly Lease[], leaseMs: number): Promise<string[]>;
  /** Hands a running run back to the queue at once (graceful drain); false if the lease was gone. */
  release(lease: Lease): Promise<boolean>;
  /** One node only (SQLite): every lease left by an earlier process is void. Answers how many. */
  releaseAll(): Promise<number>;
  /** Who executed the run: each claim and each stored checkpoint, in the order they happened. */
  steps(runId: string): Promise<RunStep[]>;
}

/** A claim of a run, or a checkpoint stored under a claim's lease (`run_steps`). */
export interface RunStep {
  step_id: number;
  run_id: string;
  generation: number;
  owner: string;
  kind: "claim" | "checkpoint";
  checkpoint_id: string | null;
  step: number | null;
  /** ISO 8601, millisecond precision, UTC. */
  created_at: string;
}

export const RUN_EVENT_TYPES = ["status", "node", "interrupt", "answer"] as const;
export type RunEventType = (typeof RUN_EVENT_TYPES)[number];

/** One thing that happened to a run; `event_id` grows across all runs, in insertion order. */
export interface RunEvent {
  event_id: number;
  run_id: string;
  type: RunEventType;
  data: unknown;
  /** ISO 8601, millisecond precision, UTC. */
  created_at: string;
}

/** What happened to each run, kept so that a client can replay it after any event it saw. */
export interface RunEventLog {
  /** Stores the events in one statement, numbered in the order given. */
  append(
    runId: string,
    events: readonly { type: RunEventType; data: unknown }[],
  ): Promise<RunEvent[]>;
  /** The run's events after `afterEventId` (0: from the start), oldest first. */
  after(runId: string, afterEventId: number, limit: number): Promise<RunEvent[]>;
  /** The run's most recent event of that type. */
  latest(runId: string, type: RunEventType): Promise<RunEvent | null>;
  /** The tenant's events of those types after `afterEventId`, across its runs, oldest first. */
  tenantAfter(
    tenant: string,
    types: readonly RunEventType[],
    afterEventId: number,
    limit: number,
  ): Promise<RunEvent[]>;
  /** The newest event id of any run (0: none yet). */
  lastId(): Promise<number>;
}

/** A signed notice waiting in the outbox (`notice_outbox`) until its receiver takes it. */
export interface OutboxNotice {
  /** The `webhook-id`: the same on every attempt. */
  notice_id: string;
  tenant: string;
  run_id: string;
  /** The exact JSON body, signed and sent as is on every attempt. */
  body: string;
  /** Attempts made so far, this one included once claimed. */
  attempts: number;
  /** ISO 8601, millisecond precision, UTC. */
  created_at: string;
}

/**
 * Notices kept until delivered (across restarts). A claim leases due notices to one sender
 * (on PostgreSQL, concurrent claims skip each other's rows), so each attempt is made once.
 */
export interface NoticeOutbox {
  add(notice: Pick<OutboxNotice, "notice_id" | "tenant" | "run_id" | "body">): Promise<void>;
  /** Up to `limit` notices due now and not claimed, oldest first, leased for `leaseMs`. */
  claim(limit: number, leaseMs: number): Promise<OutboxNotice[]>;
  delivered(noticeId: string): Promise<void>;
  /** A failed attempt: try again after `retryInMs`, or never (null: given up), noting why. */
  failed(noticeId: string, retryInMs: number | null, error: string): Promise<void>;
  get(noticeId: string): Promise<NoticeState | null>;
}

export interface NoticeState extends OutboxNotice {
  delivered_at: string | null;
  given_up_at: string | null;
  last_error: string | null;
}

/** A LangGraph thread created before its first run (`pending_threads`): no workflow yet. */
export interface PendingThread {
  thread_id: string;
  tenant: string;
  metadata: Record<string, unknown>;
  /** ISO 8601, millisecond precision, UTC. */
  created_at: string;
}

/** One LangGraph run: a start, resume or retry of the polar-flows run `thread_id` (`thread_runs`). */
export interface ThreadRun {
  run_id: string;
  thread_id: string;
  tenant: string;
  assistant_id: string;
  metadata: Record<string, unknown>;
  /** How it ended, once a later LangGraph run took over the thread; null: it follows the thread. */
  final_status: string | null;
  created_at: string;
  updated_at: string;
}

/** A thread as a search finds it: a run (`workflow` and `status` set), or a pending thread. */
export interface ThreadSummary {
  thread_id: string;
  /** Null for a pending thread. */
  status: RunStatus | null;
  /** The run's workflow; for a pending thread, the `graph_id` its metadata names, if any. */
  workflow: string | null;
  metadata: Record<string, unknown>;
  /** The run's pending interrupt and error (null for a pending thread). */
  interrupt: unknown | null;
  error: RunError | null;
  created_at: string;
  updated_at: string;
}

export interface ThreadQuery {
  tenant: string;
  /** Runs in one of these statuses; undefined: any. */
  statuses?: readonly RunStatus[];
  /** Whether pending threads are wanted. */
  pending: boolean;
  /** Top-level metadata entries that must match; `graph_id`/`assistant_id` match the workflow. */
  metadata?: Record<string, unknown>;
  limit: number;
  offset: number;
}

/** What a LangGraph thread needs beyond its run: threads without a run yet, and LangGraph runs. */
export interface ThreadStore {
  /** Whether any tenant has a run or a pending thread with this id. */
  idTaken(threadId: string): Promise<boolean>;
  /** Null when a pending thread with this id exists already. */
  createPending(thread: Omit<PendingThread, "created_at">): Promise<PendingThread | null>;
  getPending(tenant: string, threadId: string): Promise<PendingThread | null>;
  /** Takes the pending thread away (its first run is being started); null: someone else did. */
  claimPending(tenant: string, threadId: string): Promise<PendingThread | null>;
  /** Puts back a claimed pending thread whose first run could not start. */
  restorePending(thread: PendingThread): Promise<void>;
  /** Records a LangGraph run; earlier ones of the thread end with `supersededStatus`. */
  addRun(
    run: Omit<ThreadRun, "final_status" | "created_at" | "updated_at">,
    supersededStatus: string,
  ): Promise<ThreadRun>;
  getRun(tenant: string, threadId: string, runId: string): Promise<ThreadRun | null>;
  /** The thread's LangGraph runs, newest first. */
  listRuns(tenant: string, threadId: string, limit: number): Promise<ThreadRun[]>;
  /** Runs and pending threads together, newest first. */
  search(query: ThreadQuery): Promise<ThreadSummary[]>;
}

/** Something another replica did, heard through the store (PostgreSQL LISTEN/NOTIFY). */
export type StoreChange =
  /** A run's event log grew. */
  | { kind: "event"; run_id: string }
  /** A run can be claimed (queued, handed back). */
  | { kind: "ready"; run_id: string }
  /** A run was cancelled: the replica executing it stops. */
  | { kind: "cancelled"; run_id: string }
  /** Changes may have been missed (the listening connection was re-established). */
  | { kind: "resync" };

export interface Storage {
  kind: "sqlite" | "postgres";
  /** Reads, and writes outside any run execution (tests, benchmarks). */
  checkpointer: BaseCheckpointSaver;
  /**
   * The checkpointer run executions use: a write commits only while the lease the execution's
   * config carries (`LEASE_KEY`) holds — checked in the write's own transaction on PostgreSQL —
   * and extends that lease by `leaseMs`; otherwise it throws `LeaseLostError`. Each stored
   * checkpoint is recorded in `run_steps` with the lease's owner and generation.
   */
  fencedCheckpointer(leaseMs: number): BaseCheckpointSaver;
  /** Hears what other processes change; SQLite (one process) has nothing to tell. */
  watch(listener: (change: StoreChange) => void): () => void;
  runs: RunRegistry;
  events: RunEventLog;
  answers: AnswerLog;
  notices: NoticeOutbox;
  /** Usage watches, their schedules and the once-per-period remediation ledger (§10). */
  watches: WatchStore;
  /** Polar's webhook deliveries (§10). */
  webhooks: WebhookLog;
  /** LangGraph threads made before their first run, and LangGraph runs (§12). */
  threads: ThreadStore;
  writes: PolarWriteLog;
  audit: AuditLog;
  retention: CheckpointRetention;
  /** Readiness: resolves when the store answers, throws otherwise. */
  ping(): Promise<void>;
  /** Idempotent. */
  close(): Promise<void>;
}

export interface StorageOptions {
  /** `postgres://…`: PostgreSQL; unset: SQLite in `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  /** PostgreSQL schema for the registry and the checkpoints; default `public`. */
  schema?: string;
  /**
   * PostgreSQL: the bound on each statement and connection attempt of the run path; keep it
   * well under the lease's length minus its renewal interval (docs/writes.md). Default 5 s.
   */
  statementTimeoutMs?: number;
  /**
   * PostgreSQL connections lost (server restart, failover, network drop) and the server answering
   * again: for logging. Broken connections are dropped and replaced either way. Default: ignored.
   */
  onConnection?: (notice: ConnectionNotice) => void;
}

/** What a PostgreSQL connection was doing when it was lost. */
export type ConnectionRole = "pool" | "listen" | "checkpoint" | "migration";

/**
 * `lost`: the first connection of that role lost in an outage (later ones are only counted);
 * `back`: a new connection succeeded, ending the outage, with how many of each role were lost.
 */
export type ConnectionNotice =
  | { kind: "lost"; role: ConnectionRole; code: string | null; message: string }
  | { kind: "back"; downMs: number; lost: Partial<Record<ConnectionRole, number>> };

/** A list cursor that the registry did not issue; the API answers 400. */
export class InvalidCursorError extends Error {
  readonly code = "invalid_cursor";

  constructor() {
    super("cursor is not valid");
    this.name = "InvalidCursorError";
  }
}
