/**
 * The reader used when no model is configured (or the model failed): a few patterns for the
 * common phrasings. It errs towards "not sure" — anything it does not recognise goes to a
 * person, never to a guess.
 */
import type { CancellationReason } from "../polar/schemas.ts";
import { numbersIn } from "./checks.ts";

export type CancellationIntent = "cancel_at_period_end" | "cancel_now" | "other";

export interface CancellationReading {
  intent: CancellationIntent;
  reason: CancellationReason | null;
  comment: string | null;
}

/** Not a cancellation at all, or explicitly not one. */
const NOT_CANCELLING =
  /\b(?:don'?t|do not|not|never)\s+(?:want|wish|mean|plan)\s+to\s+(?:cancel|unsubscribe|stop)\b|\b(?:pause|downgrade|(?:switch|change)\s+(?:my\s+|our\s+)?plans?)\b/i;
/** Wishes that go beyond ending at the period's end: out of scope, a person decides. */
const IMMEDIATELY =
  /\b(?:immediately|right (?:now|away)|at once|effective (?:now|today|immediately)|today|refund\w*|revoke|(?:delete|close|remove) (?:my|our|the) account|(?:end|remove|cut off|terminate|revoke) (?:my |our )?access)\b/i;
/** The end of the period: cancel, don't bill or renew, keep access until then. */
const AT_PERIOD_END =
  /\b(?:cancel\w*|unsubscribe|(?:don'?t|do not|stop|no longer)\s+(?:bill|charg|renew)\w*|(?:stop|end|terminate|discontinue|quit)\s+(?:my|the|our)\s+(?:subscription|plan|membership)|keep (?:my |our )?access until|(?:not|don'?t|do not)\s+(?:to\s+)?renew)/i;

const REASONS: [CancellationReason, RegExp][] = [
  ["too_expensive", /\b(?:expensive|price|pricing|costs?|afford|budget|cheaper)\b/i],
  [
    "unused",
    /\b(?:not using|don'?t use|do not use|no longer (?:use|need)|don'?t need|unused|rarely use)\b/i,
  ],
  [
    "switched_service",
    /\b(?:switch(?:ed|ing)? to|mov(?:ed|ing) to|competitor|another (?:service|provider|tool|vendor))\b/i,
  ],
  ["missing_features", /\b(?:missing|lacks?|doesn'?t have|features?)\b/i],
  ["too_complex", /\b(?:complicated|complex|confusing|hard to use|difficult)\b/i],
  ["low_quality", /\b(?:bugs?|buggy|slow|unreliable|quality|broken|outages?)\b/i],
  ["customer_service", /\b(?:support|customer service)\b/i],
];

export function readCancellationRequest(text: string): CancellationReading {
  const intent: CancellationIntent = NOT_CANCELLING.test(text)
    ? "other"
    : IMMEDIATELY.test(text)
      ? "cancel_now"
      : AT_PERIOD_END.test(text)
        ? "cancel_at_period_end"
        : "other";
  const reason = REASONS.find(([, pattern]) => pattern.test(text))?.[0] ?? null;
  return { intent, reason, comment: null };
}

export type WorkflowName = "overage-remediation" | "subscription-offboarding";

export interface RoutingReading {
  /** null: the text reads as neither, or as both. */
  workflow: WorkflowName | null;
  /** A customer id or external id exactly as written in the text. */
  customer_reference: string | null;
  current_product: string | null;
  upgrade_product: string | null;
  limit: number | null;
}

const OVERAGE =
  /\b(?:overage|over (?:their|the|his|her|its|our|my)\b|exceed\w*|above (?:their|the|its) (?:limit|quota|plan)|upgrade|usage limit|offer (?:them|him|her|the customer)\b)/i;
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/i;
const CUSTOMER_REFERENCE =
  /\bcustomer(?:\s+(?:external[\s_]id|id))?[\s:#]+([A-Za-z0-9][\w.-]*[A-Za-z0-9])/i;
const NAME = "([A-Z][\\w+-]*(?:\\s+[A-Z][\\w+-]*)*)";
const CURRENT_PRODUCT = new RegExp(
  `\\b(?:their|his|her|its|the|my|our|on)\\s+${NAME}\\s+(?:plan|tier|subscription)`,
);
const UPGRADE_PRODUCT = new RegExp(
  `\\b(?:[Oo]ffer|[Uu]pgrade|[Mm]ove|[Ss]witch)(?:\\s+(?:them|him|her|it|the customer))?(?:\\s+to)?(?:\\s+(?:the|a|an))?\\s+${NAME}`,
);
const LIMIT =
  /(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(k|thousand|m|million)?\s+(?:included\s+)?(?:API\s+)?(?:requests|calls|units|events|credits)\b|\blimit(?:\s+(?:of|is))?[\s:]+(\d{1,3}(?:,\d{3})+|\d+)/i;

export function readRoutingRequest(text: string): RoutingReading {
  const overage = OVERAGE.test(text);
  const offboarding = readCancellationRequest(text).intent !== "other" || IMMEDIATELY.test(text);
  const workflow =
    overage === offboarding ? null : overage ? "overage-remediation" : "subscription-offboarding";
  return {
    workflow,
    customer_reference: customerReferenceIn(text),
    current_product: CURRENT_PRODUCT.exec(text)?.[1] ?? null,
    upgrade_product: UPGRADE_PRODUCT.exec(text)?.[1] ?? null,
    limit: limitIn(text),
  };
}

function customerReferenceIn(text: string): string | null {
  const uuid = UUID.exec(text)?.[0];
  if (uuid) return uuid;
  const named = CUSTOMER_REFERENCE.exec(text)?.[1];
  // An id has a digit or an underscore; "customer Ada" names a person, not a reference.
  return named && /[\d_]/.test(named) ? named : null;
}

function limitIn(text: string): number | null {
  const match = LIMIT.exec(text);
  if (!match) return null;
  const [stated] = numbersIn(match[0]);
  return stated?.value ?? null;
}
