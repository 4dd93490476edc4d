import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";

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
  message: string;
  retryable: boolean;
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
  /** ISO 8601, millisecond precision, UTC. */
  created_at: string;
  updated_at: string;
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
}

/**
 * Fields a transition or an update may set, each replaced whole (`metadata` too);
 * `undefined` leaves a field as it is, `null` clears it.
 */
export type RunPatch = Partial<
  Pick<RunRecord, "interrupt" | "output" | "error" | "checkpoint_id" | "metadata">
>;

export interface ListRunsQuery {
  tenant: string;
  workflow?: string;
  status?: RunStatus;
  limit: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
}

export interface RunPage {
  runs: RunRecord[];
  next_cursor: string | null;
}

export interface RunRegistry {
  /**
   * Inserts a run. With an idempotency key, returns the tenant's existing run for that key
   * instead (`created: false`); the caller compares `request_hash`.
   */
  create(run: NewRun): Promise<{ run: RunRecord; created: boolean }>;
  /** `null` for an unknown run and for another tenant's run. */
  get(tenant: string, runId: string): Promise<RunRecord | null>;
  /** Newest first. Throws `InvalidCursorError` for a cursor it did not issue. */
  list(query: ListRunsQuery): Promise<RunPage>;
  /**
   * Atomic compare-and-set of the status: `null` when the run is unknown or its status is
   * not one of `from`. Always bumps `updated_at`.
   */
  transition(
    runId: string,
    change: { from: readonly RunStatus[]; to: RunStatus; set?: RunPatch },
  ): Promise<RunRecord | null>;
  /** Unconditional patch (bumps `updated_at`); `null` for an unknown run. */
  update(runId: string, set: RunPatch): Promise<RunRecord | null>;
  /** Across tenants, oldest first: the runs to continue at start-up. */
  listByStatus(statuses: readonly RunStatus[], limit: number): Promise<RunRecord[]>;
}

export const RUN_EVENT_TYPES = ["status", "node", "interrupt"] as const;
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
}

export interface Storage {
  kind: "sqlite" | "postgres";
  checkpointer: BaseCheckpointSaver;
  runs: RunRegistry;
  events: RunEventLog;
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
   * Errors of idle PostgreSQL connections (server restart, network drop). The pool drops the
   * broken connection either way; this is for logging. Default: ignored.
   */
  onError?: (error: Error) => void;
}

/** A list cursor that the registry did not issue; the API answers 400. */
export class InvalidCursorError extends Error {
  readonly code = "invalid_cursor";

  constructor() {
    super("cursor is not valid");
    this.name = "InvalidCursorError";
  }
}
