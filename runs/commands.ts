/**
 * The commands that move a run: start (idempotent with a key), resume (answer the pending
 * interrupt, or retry a retryable failure) and cancel. Each is a compare-and-set on the run's
 * status, so two requests never both win (two resumes of one interrupt: one runs, the other is
 * a conflict). Execution goes through the shared run queue: a command makes the run claimable,
 * and any replica's executor (this one's, usually first) claims it.
 */
import { type Actor, requireApprover } from "../lib/actor.ts";
import { validate } from "../lib/validation.ts";
import type { AnswerLog, NewRun, RunRecord, RunRegistry } from "../storage/index.ts";
import { answerOf } from "./answers.ts";
import { IdempotencyKeyReusedError, InvalidInputError, RunConflictError } from "./errors.ts";
import type { RunEvents } from "./events.ts";
import type { RunExecution } from "./execution.ts";
import { fingerprintOf, IdempotencyKeys } from "./idempotency.ts";
import { describeStatus, findRun, setStatus, viewOf } from "./records.ts";
import { checkResume, type PendingInterrupt } from "./runner.ts";
import {
  type InterpretedStart,
  type ResumeRun,
  type Run,
  runView,
  type StartOptions,
  type StartRun,
} from "./schemas.ts";
import type { RunWaiter } from "./waiting.ts";
import type { WorkflowGraphs } from "./workflows.ts";

export interface CommandsOptions {
  runs: RunRegistry;
  events: RunEvents;
  answers: AnswerLog;
  graphs: WorkflowGraphs;
  execution: RunExecution;
  waiter: RunWaiter;
}

export class RunCommands {
  readonly #options: CommandsOptions;
  readonly #keys = new IdempotencyKeys();

  constructor(options: CommandsOptions) {
    this.#options = options;
  }

  /**
   * Starts a run. With an idempotency key: the same key and request answer the first run
   * (`created: false`), another request is refused, and so is a repeat while the first request
   * with the key is still being answered.
   */
  async start(
    tenant: string,
    workflowName: string,
    request: StartRun,
    options: StartOptions = {},
  ): Promise<{ run: Run; created: boolean }> {
    const newRun = this.#prepare(tenant, workflowName, request, options);
    const key = options.idempotencyKey;
    if (key === undefined) {
      const { run } = await this.#options.runs.create(newRun);
      return { run: await this.#launch(run, request.wait), created: true };
    }
    return this.#keys.hold(tenant, key, newRun.request_hash, () =>
      this.#startWithKey(newRun, key, request.wait),
    );
  }

  /**
   * Starts the run a caller's request becomes once `interpret`ed (free text). With a key, the
   * fingerprint is of what the caller sent (`body`), and the key is settled first: a repeat
   * answers the first run without interpreting anything again.
   */
  async startInterpreted(
    tenant: string,
    body: unknown,
    wait: boolean,
    interpret: () => Promise<InterpretedStart>,
    options: StartOptions = {},
  ): Promise<{ run: Run; created: boolean }> {
    const key = options.idempotencyKey;
    if (key === undefined) {
      const { workflow, request } = await interpret();
      return this.start(tenant, workflow, request, options);
    }
    const fingerprint = fingerprintOf({ interpreted: body });
    return this.#keys.hold(tenant, key, fingerprint, async () => {
      const earlier = await this.#options.runs.getByIdempotencyKey(tenant, key);
      if (earlier) return this.#replay(earlier, fingerprint, wait);
      const { workflow, request } = await interpret();
      const newRun = this.#prepare(tenant, workflow, request, options);
      return this.#startWithKey({ ...newRun, request_hash: fingerprint }, key, wait);
    });
  }

  /** The run to create: the input checked against the workflow, and its fingerprint. */
  #prepare(tenant: string, workflowName: string, request: StartRun, options: StartOptions) {
    const workflow = this.#options.graphs.startable(workflowName, options.internal === true);
    const parsed = validate(workflow.input, request.input, ["input"]);
    if (!parsed.success) {
      throw new InvalidInputError(
        `The input does not fit workflow ${workflow.name}.`,
        parsed.issues,
      );
    }
    if (options.actor && (parsed.data as { require_approval?: unknown }).require_approval === false)
      requireApprover(options.actor, "start a run with `require_approval: false`");
    const fingerprint = fingerprintOf({
      workflow: workflow.name,
      input: request.input,
      metadata: request.metadata,
    });
    return {
      ...(options.runId ? { run_id: options.runId } : {}),
      tenant,
      workflow: workflow.name,
      input: parsed.data,
      metadata: request.metadata,
      request_hash: fingerprint,
      started_by: options.actor?.name ?? null,
    };
  }

  /** Creates the run under the key, or answers the run the key already started. */
  async #startWithKey(
    newRun: NewRun & { request_hash: string },
    key: string,
    wait: boolean,
  ): Promise<{ run: Run; created: boolean }> {
    const { run, created } = await this.#options.runs.create({ ...newRun, idempotency_key: key });
    if (created) return { run: await this.#launch(run, wait), created: true };
    return this.#replay(run, newRun.request_hash, wait);
  }

  /** The first run of a repeated key, if the request is the same one. */
  async #replay(
    run: RunRecord,
    fingerprint: string,
    wait: boolean,
  ): Promise<{ run: Run; created: boolean }> {
    if (run.request_hash !== fingerprint) throw new IdempotencyKeyReusedError();
    const current = wait
      ? await this.#options.waiter.untilSettled(run)
      : await viewOf(this.#options.answers, run);
    return { run: current, created: false };
  }

  /**
   * Answers the pending interrupt (`resume` given), or retries a run that failed with a
   * retryable error from its last checkpoint (`resume` left out). Answering is a person's
   * decision: `actor` must be an approver; any key of the tenant may retry.
   */
  async resume(actor: Actor, runId: string, request: ResumeRun): Promise<Run> {
    const { runs, events, answers, execution, waiter } = this.#options;
    const record = await findRun(runs, actor.tenant, runId);
    let moved: RunRecord | null;
    if (!("resume" in request)) {
      if (record.status !== "failed" || !record.error?.retryable) {
        throw new RunConflictError(
          record.status === "interrupted"
            ? "The run waits for an answer: give it as `resume`."
            : `Only a run that failed with a retryable error can be retried; this one is ${describeStatus(record)}.`,
        );
      }
      moved = await setStatus(runs, events, runId, {
        from: ["failed"],
        to: "running",
        set: { error: null },
      });
    } else {
      requireApprover(actor, "answer an interrupt");
      if (record.status !== "interrupted") {
        throw new RunConflictError(
          `The run is ${describeStatus(record)}, not waiting for an answer.`,
        );
      }
      const pending = record.interrupt as PendingInterrupt;
      if (request.interrupt_id !== undefined && request.interrupt_id !== pending.id) {
        throw new RunConflictError(
          `The run is not waiting for interrupt ${request.interrupt_id}; it waits for ${pending.id}.`,
        );
      }
      // Throws ResumeRejectedError when the answer does not fit; the run stays interrupted.
      const value = checkResume(pending, request.resume, request.interrupt_id);
      // The answer waits in the run until a replica claims it; who gave it goes on record.
      const answer = answerOf(actor, runId, pending, value, new Date());
      moved = await setStatus(
        runs,
        events,
        runId,
        {
          from: ["interrupted"],
          // An answer to this interrupt only: if the run moved on meanwhile, nothing changes.
          interruptId: pending.id,
          to: "running",
          set: { interrupt: null, pending_resume: { interrupt_id: pending.id, value, answer } },
        },
        // The customer is kept for the audit trail; the event shows the answer as the run does.
        [{ type: "answer", data: { ...answer, customer_id: undefined } }],
        { log: answers, answer },
      );
    }
    if (!moved) throw new RunConflictError("Another request moved the run on first.");
    execution.work();
    return request.wait ? waiter.untilSettled(moved) : viewOf(answers, moved);
  }

  /** Cancels a run that has not finished: queued, running, interrupted or retryable-failed. */
  async cancel(tenant: string, runId: string): Promise<Run> {
    const { runs, events, execution } = this.#options;
    for (let attempt = 0; attempt < 3; attempt++) {
      const record = await findRun(runs, tenant, runId);
      const cancellable =
        record.status === "queued" ||
        record.status === "running" ||
        record.status === "interrupted" ||
        (record.status === "failed" && record.error?.retryable === true);
      if (!cancellable) {
        throw new RunConflictError(
          `The run is ${describeStatus(record)}; there is nothing to cancel.`,
        );
      }
      const cancelled = await setStatus(runs, events, runId, {
        from: [record.status],
        to: "cancelled",
        set: { interrupt: null, pending_resume: null },
      });
      if (cancelled) {
        // Executing here: stop now. Elsewhere: that replica hears of it (PostgreSQL NOTIFY),
        // and its lease is gone with the status, so its next renewal or write stops it anyway.
        execution.cancelled(runId);
        return viewOf(this.#options.answers, cancelled);
      }
      // The status changed under us: look again.
    }
    throw new RunConflictError("The run keeps changing; try again.");
  }

  /** Queues a run just created and, if asked, waits for it to settle. */
  async #launch(record: RunRecord, wait: boolean): Promise<Run> {
    await this.#options.events.record(record.run_id, "status", runView(record));
    this.#options.execution.work();
    return wait ? this.#options.waiter.untilSettled(record) : runView(record);
  }
}
