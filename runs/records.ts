/**
 * Reading and moving run records. Status changes are compare-and-set transitions in the
 * registry, so two requests never both win, and each one is reported as events.
 */
import type {
  AnswerLog,
  RunAnswer,
  RunEventType,
  RunRecord,
  RunRegistry,
  RunTransition,
} from "../storage/index.ts";
import { NotFoundError } from "./errors.ts";
import type { RunEvents } from "./events.ts";
import { type Run, runView } from "./schemas.ts";

/** The tenant's run (another tenant's run is not found either). */
export async function findRun(
  runs: RunRegistry,
  tenant: string,
  runId: string,
): Promise<RunRecord> {
  const record = await runs.get(tenant, runId);
  if (!record) throw new NotFoundError(`There is no run ${runId}.`);
  return record;
}

/**
 * The one way a status changes: a compare-and-set in the registry, then the events that
 * report it (extra ones first; the `status` event last, as the stream's end marker). Null: the
 * run was not in a `from` status (or the lease is gone), and nothing changed.
 */
export async function setStatus(
  runs: RunRegistry,
  events: RunEvents,
  runId: string,
  change: RunTransition,
  extra: { type: RunEventType; data: unknown }[] = [],
  /** A person's answer that this change applies: on record once the change is made. */
  answered?: { log: AnswerLog; answer: RunAnswer },
): Promise<RunRecord | null> {
  const record = await runs.transition(runId, change);
  if (!record) return null;
  if (answered) await answered.log.record(record.tenant, answered.answer);
  await events.recordAll(runId, [...extra, { type: "status", data: runView(record) }]);
  return record;
}

/** The run as the API shows it, with the answers on record. */
export async function viewOf(answers: AnswerLog, record: RunRecord): Promise<Run> {
  return runView(record, await answers.forRuns([record.run_id]));
}

export function describeStatus(record: RunRecord): string {
  if (record.status === "failed") return record.error?.retryable ? "failed (retryable)" : "failed";
  return record.status;
}
