/**
 * Who is acting: the key's tenant, its name and its role. Agents start and read runs; only
 * approvers settle a decision meant for a person (answering an interrupt, starting a run
 * without approval, signing in to the console).
 */
export const ROLES = ["agent", "approver"] as const;
export type Role = (typeof ROLES)[number];

export interface Actor {
  tenant: string;
  /** The key's name, unique within its tenant; what answers are recorded under. */
  name: string;
  role: Role;
}

/** The one caller when no keys are configured (loopback only). */
export const LOCAL_ACTOR: Actor = Object.freeze({
  tenant: "default",
  name: "local",
  role: "approver",
});

/** An agent key tried to do what only a person may; the API answers 403. */
export class ApproverRequiredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ApproverRequiredError";
  }
}

/** Throws unless the actor is an approver; `what` completes "Only an approver key may …". */
export function requireApprover(actor: Actor, what: string): void {
  if (actor.role !== "approver") {
    throw new ApproverRequiredError(
      `Only an approver key may ${what}; key "${actor.name}" of tenant ${actor.tenant} is an agent key.`,
    );
  }
}
