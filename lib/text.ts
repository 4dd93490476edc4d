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

/**
 * Bidirectional controls and zero-width characters: they change how a text reads (or what it
 * seems to say) without showing themselves.
 */
const DECEPTIVE = /[\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/gu;

/** Whether a text holds bidirectional controls or zero-width characters. */
export function hasDeceptiveCharacters(value: string): boolean {
  return new RegExp(DECEPTIVE.source, "u").test(value);
}

/**
 * The text with each bidirectional control, zero-width or other control character (line breaks
 * kept) shown as `[U+202E]`: a person sees exactly what is there. For text from elsewhere
 * (Polar's records) in what a person approves; the console can use it for any value it shows.
 */
export function visiblyEscaped(value: string): string {
  return value.replace(DECEPTIVE, codePoint).replace(/[^\P{Cc}\n]/gu, codePoint);
}

function codePoint(character: string): string {
  return `[U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}]`;
}
