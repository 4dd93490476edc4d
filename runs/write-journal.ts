/**
 * Exactly-once Polar writes for one execution of a run (DESIGN §11). Each write is recorded
 * before it is sent — in one statement with a check that this execution still holds the run's
 * lease with time to spare — and updated when Polar answers. A node executed again reads the
 * record: a known result is answered as it is (nothing sent, nothing searched); a write whose
 * answer was never recorded (the process died, the answer was lost) is looked up at Polar by its
 * key first; on a first execution nothing is searched.
 */
import type { PolarWrite, WriteJournal } from "../nodes/context.ts";
import { PolarGatewayError } from "../polar/errors.ts";
import {
  type AnswerLog,
  type Lease,
  LeaseLostError,
  type PolarWriteLog,
  type RunRecord,
} from "../storage/types.ts";

export interface RunWriteJournalOptions {
  log: PolarWriteLog;
  lease: Lease;
  /** Who the writes act for (the approver, or whoever started the run with approval off). */
  actor: () => Promise<string>;
  /** Least lease left, by the store's clock and by ours, for a write to be sent. */
  minLeftMs: number;
  /** How long this execution's lease surely lasts by this process's clock (its executor's). */
  leaseLeftMs?: () => number;
}

export class RunWriteJournal implements WriteJournal {
  readonly #options: RunWriteJournalOptions;

  constructor(options: RunWriteJournalOptions) {
    this.#options = options;
  }

  async perform<T>(node: string, write: PolarWrite<T>): Promise<T> {
    const { log, lease, minLeftMs } = this.#options;
    const recorded = await log.find(lease.run_id, write.action, write.key);
    if (recorded?.status === "succeeded") return recorded.result as T;
    if (recorded && recorded.status !== "failed") {
      // Sent, answer unknown: Polar may have it.
      const found = await write.lookup();
      if (found !== null) {
        await this.#succeeded(recorded.write_id, write, found);
        return found;
      }
    }
    this.#assertLeaseLeft();
    const entry = await log.sending(
      {
        node,
        action: write.action,
        idempotency_key: write.key,
        customer_id: write.customerId,
        actor: await this.#options.actor(),
        request: write.request,
      },
      lease,
      minLeftMs,
    );
    // Checked again by the gateway right before the request leaves (`assertMaySend`): recording,
    // and a wait for Polar's request budget, may have taken a while.
    let result: T;
    try {
      result = await write.send();
    } catch (error) {
      // Refused with an answer (4xx, a 429 included): not applied. Anything else: unknown.
      const refused =
        error instanceof PolarGatewayError && error.status !== null && error.status < 500;
      const message = error instanceof Error ? error.message : String(error);
      // Unrecorded, the entry stays `pending`, which a re-execution treats as unknown too.
      await log
        .answered(entry.write_id, { status: refused ? "failed" : "unknown", error: message })
        .catch(() => {});
      throw error;
    }
    await this.#succeeded(entry.write_id, write, result);
    return result;
  }

  async #succeeded<T>(writeId: number, write: PolarWrite<T>, result: T): Promise<void> {
    await this.#options.log.answered(writeId, {
      status: "succeeded",
      polar_object_id: write.objectId(result),
      result,
    });
  }

  assertMaySend(): void {
    this.#assertLeaseLeft();
  }

  /** By this process's own clock, which needs no answer from the store. */
  #assertLeaseLeft(): void {
    const left = this.#options.leaseLeftMs?.();
    if (left !== undefined && left <= this.#options.minLeftMs) {
      throw new LeaseLostError(this.#options.lease.run_id);
    }
  }
}

/**
 * Who a run's writes act for: the last person who approved it; with approval off, whoever
 * started it — `watch:<name>` for a usage watch, else the starting key's name (or the tenant).
 */
export async function writeActor(record: RunRecord, answers: AnswerLog): Promise<string> {
  const approved = (await answers.forRuns([record.run_id])).findLast(
    (answer) => answer.action === "approved",
  );
  if (approved) return approved.answered_by;
  const watch = (record.metadata as { watch?: unknown }).watch;
  if (typeof watch === "string" && watch !== "") return `watch:${watch}`;
  return record.started_by ?? record.tenant;
}
