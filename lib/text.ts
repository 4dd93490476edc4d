/**
 * Text that reaches a person or a model from somewhere else (event metadata, Polar records):
 * made plain before it is shown, so it can carry no hidden characters and no more than its share
 * of words.
 */

/** Control and invisible formatting characters (bidi overrides, zero-width characters, …). */
const HIDDEN = /[\p{Cc}\p{Cf}]+/gu;

/**
 * A value as data: hidden characters dropped, runs of whitespace made one space, and at most
 * `maxLength` characters (an ellipsis marks the cut).
 */
export function plainFact(value: string, maxLength = 80): string {
  const plain = value.replace(HIDDEN, " ").replace(/\s+/g, " ").trim();
  return plain.length > maxLength ? `${plain.slice(0, maxLength - 1)}…` : plain;
}

/** A plain value in quotes: clearly a name from the records, not the message's own words. */
export function quotedFact(value: string, maxLength = 60): string {
  return `"${plainFact(value, maxLength).replaceAll('"', "'")}"`;
}

/**
 * A person's name fit to greet them with — letters, spaces, apostrophes, hyphens and dots after
 * initials, at most 60 characters — or null: a "name" that says more than a name (a sentence,
 * a domain) is not repeated.
 */
export function personName(value: string | null | undefined): string | null {
  if (!value || /\p{Cc}/u.test(value)) return null;
  const plain = plainFact(value, 61);
  const nameShaped = /^[\p{L}\p{M}][\p{L}\p{M} .'’-]{0,59}$/u.test(plain);
  return nameShaped && !/\.\p{L}/u.test(plain) ? plain : null;
}
