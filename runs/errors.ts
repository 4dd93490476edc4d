/**
 * What the run core throws at its callers (REST routes, tools, MCP, …): domain errors with a
 * code from the one table in `lib/errors.ts`, never HTTP answers. And how a run itself fails.
 */
import { DomainError } from "../lib/errors.ts";
import type { FieldIssue } from "../lib/validation.ts";

export type { RunError } from "../storage/types.ts";

/**
 * A step whose writes were refused, or an execution told to stop, because the run's lease is
 * another execution's now. Never stored as a run's error.
 */
export const LEASE_LOST = "lease_lost";

/** No such run (another tenant's run is not found either), or no such checkpoint of it. */
export class NotFoundError extends DomainError {
  constructor(message: string) {
    super("not_found", message);
    this.name = "NotFoundError";
  }
}

/** No workflow of that name (or one only polar-flows itself may start). */
export class UnknownWorkflowError extends DomainError {
  readonly workflow: string;
  constructor(workflow: string) {
    super(
      "unknown_workflow",
      `There is no workflow named "${workflow}"; GET /v1/workflows lists them.`,
    );
    this.name = "UnknownWorkflowError";
    this.workflow = workflow;
  }
}

/** What was asked does not fit (a workflow's input, a cursor); `issues` name the fields. */
export class InvalidInputError extends DomainError {
  constructor(message: string, issues: FieldIssue[]) {
    super("invalid_input", message, issues);
    this.name = "InvalidInputError";
  }
}

/** The run is not in a state the command applies to, or another request moved it first. */
export class RunConflictError extends DomainError {
  constructor(message: string) {
    super("conflict", message);
    this.name = "RunConflictError";
  }
}

/** A resume payload that does not fit the pending interrupt; the run stays interrupted. */
export class ResumeRejectedError extends DomainError {
  constructor(message: string, issues: FieldIssue[] = []) {
    super("resume_rejected", message, issues);
    this.name = "ResumeRejectedError";
  }
}

/** The idempotency key came with another request before. */
export class IdempotencyKeyReusedError extends DomainError {
  constructor() {
    super("idempotency_key_reused", "This Idempotency-Key was used with another request body.");
    this.name = "IdempotencyKeyReusedError";
  }
}

/** The first request with this idempotency key is still being answered. */
export class IdempotencyKeyInFlightError extends DomainError {
  constructor() {
    super(
      "idempotency_key_in_flight",
      "The first request with this Idempotency-Key is still being answered.",
    );
    this.name = "IdempotencyKeyInFlightError";
  }
}
