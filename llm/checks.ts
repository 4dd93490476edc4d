/**
 * Checks a model-written message against the run's own facts before anyone sees it. A draft
 * passes only when it carries the required link, figures and dates exactly, and mentions no
 * link, bare domain ("pay at evil-billing.com"), id, e-mail address, date or sizeable figure the
 * run does not know. Anything else is
 * replaced by the template — a false alarm costs a plainer e-mail, a miss costs trust.
 */

export interface DraftFacts {
  /** Links the text must contain verbatim; no other link may appear. */
  requiredUrls: string[];
  /** Figures the text must state (any thousands format; `percent` ones followed by %). */
  requiredFigures: { label: string; value: number; percent?: boolean }[];
  /** Dates (ISO) the text must state, compared by UTC calendar day. */
  requiredDates: { label: string; iso: string }[];
  /** Further figures the text may state. */
  allowedNumbers: number[];
  /** Further dates (ISO) the text may state. */
  allowedDates: string[];
  /** Ids, external ids, names of things and e-mail addresses the run knows. */
  knownTokens: string[];
  maxLength: number;
}

const URL_PATTERN =
  /\b(?:https?:\/\/|www\.)[^\s<>"'`]+|\b(?:[a-z0-9-]+\.)+[a-z]{2,}\/[^\s<>"'`]*/gi;
const EMAIL_PATTERN = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g;
/** A host name without scheme or path: `evil-billing.com`, `paypal.me`, `pay.example.co.uk`. */
const DOMAIN_PATTERN = /(?<![\w.@-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}(?![\w-])/gi;
/** UUIDs (with or without hyphens) and prefixed ids such as `sub_1234` or `polar_c_9f8e7d`. */
const ID_PATTERNS = [
  /\b[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b/gi,
  /\b[A-Za-z0-9]*_[A-Za-z0-9_]*\d[A-Za-z0-9_]*\b/g,
  /\b[A-Za-z0-9]*\d[A-Za-z0-9]*_[A-Za-z0-9_]*\b/g,
  /\b(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{16,}\b/g,
];

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const MONTH =
  "(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\\.?";
const ORDINAL = "(?:st|nd|rd|th)?";
const DATE_PATTERNS: { pattern: RegExp; read: (match: RegExpExecArray) => CalendarDay }[] = [
  {
    pattern: /\b(\d{4})-(\d{2})-(\d{2})(?:T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?\b/g,
    read: (m) => ({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) }),
  },
  {
    pattern: new RegExp(`\\b${MONTH}\\s+(\\d{1,2})${ORDINAL}(?:,?\\s+(\\d{4}))?\\b`, "gi"),
    read: (m) => ({
      month: monthNumber(m[1]!),
      day: Number(m[2]),
      year: m[3] ? Number(m[3]) : null,
    }),
  },
  {
    pattern: new RegExp(
      `\\b(\\d{1,2})${ORDINAL}\\s+(?:of\\s+)?${MONTH}(?:,?\\s+(\\d{4}))?\\b`,
      "gi",
    ),
    read: (m) => ({
      day: Number(m[1]),
      month: monthNumber(m[2]!),
      year: m[3] ? Number(m[3]) : null,
    }),
  },
];
const NUMBER_PATTERN =
  /(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?:\s*(%|percent\b|k\b|thousand\b|m\b|million\b))?/gi;

interface CalendarDay {
  year: number | null;
  month: number;
  day: number;
}

/** The problems found in a draft; none means it may be used. */
export function checkDraft(text: string, facts: DraftFacts): string[] {
  const problems: string[] = [];
  if (text.trim() === "") return ["the draft is empty"];
  if (text.length > facts.maxLength)
    problems.push(`the draft is longer than ${facts.maxLength} characters`);
  const known = new Set(facts.knownTokens.map((token) => token.toLowerCase()));
  let rest = text;

  for (const url of facts.requiredUrls) {
    if (!text.includes(url)) problems.push(`the link ${url} is missing`);
  }
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = match[0].replace(/[.,;:!?)\]}'"]+$/, "");
    if (!facts.requiredUrls.includes(url))
      problems.push(`it contains a link the run did not produce (${url})`);
  }
  rest = rest.replace(URL_PATTERN, " ");

  for (const match of rest.matchAll(EMAIL_PATTERN)) {
    if (!known.has(match[0].toLowerCase()))
      problems.push(`it contains an unknown e-mail address (${match[0]})`);
  }
  rest = rest.replace(EMAIL_PATTERN, " ");

  // Only the hosts of the run's own links and e-mail addresses: names from the records (which
  // anyone who can ingest events may choose) do not make a domain safe to send people to.
  const hosts = new Set([
    ...facts.requiredUrls.map(hostOf),
    ...facts.knownTokens
      .filter((token) => token.includes("@"))
      .map((email) => email.split("@")[1]!.toLowerCase()),
  ]);
  for (const match of rest.matchAll(DOMAIN_PATTERN)) {
    if (!hosts.has(match[0].toLowerCase()))
      problems.push(`it names a domain the run does not know (${match[0]})`);
  }
  rest = rest.replace(DOMAIN_PATTERN, " ");

  for (const pattern of ID_PATTERNS) {
    for (const match of rest.matchAll(pattern)) {
      if (!known.has(match[0].toLowerCase())) {
        problems.push(`it contains an id the run does not know (${match[0]})`);
      }
    }
    rest = rest.replace(pattern, " ");
  }

  const required = facts.requiredDates.map((date) => ({ ...date, day: calendarDay(date.iso) }));
  const allowed = facts.allowedDates.map(calendarDay);
  const seen: CalendarDay[] = [];
  for (const { pattern, read } of DATE_PATTERNS) {
    for (const match of rest.matchAll(pattern)) {
      const day = read(match);
      seen.push(day);
      if (![...required.map((date) => date.day), ...allowed].some((known) => sameDay(day, known))) {
        problems.push(`it states a date the run does not know (${match[0].trim()})`);
      }
    }
    rest = rest.replace(pattern, " ");
  }
  for (const date of required) {
    if (!seen.some((day) => sameDay(day, date.day))) {
      problems.push(`it does not state the ${date.label}`);
    }
  }

  const stated = numbersIn(rest);
  for (const figure of facts.requiredFigures) {
    const found = stated.some(
      (number) =>
        approximately(number.value, figure.value) &&
        (figure.percent ? number.percent : !number.percent),
    );
    if (!found) problems.push(`it does not state the ${figure.label}`);
  }
  const knownValues = [
    ...facts.requiredFigures.map((figure) => figure.value),
    ...facts.allowedNumbers,
    ...[...required.map((date) => date.day), ...allowed].map((day) => day.year ?? 0),
  ];
  for (const number of stated) {
    // Small counts ("3 endpoints", "24 hours") are harmless; sizeable figures and percentages must be the run's.
    if (number.value < 100 && !number.percent) continue;
    if (!knownValues.some((value) => approximately(number.value, value))) {
      problems.push(`it states a figure the run does not know (${number.text.trim()})`);
    }
  }
  return [...new Set(problems)];
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return "";
  }
}

/** The figures a text states: "15,000", "150%", "15k", "1.5 million". */
export function numbersIn(text: string): { value: number; percent: boolean; text: string }[] {
  return [...text.matchAll(NUMBER_PATTERN)].map(readNumber);
}

function readNumber(match: RegExpExecArray) {
  const base = Number(`${match[1]!.replaceAll(",", "")}${match[2] ?? ""}`);
  const suffix = match[3]?.toLowerCase();
  const scale =
    suffix === "k" || suffix === "thousand"
      ? 1_000
      : suffix === "m" || suffix === "million"
        ? 1_000_000
        : 1;
  return { value: base * scale, percent: suffix === "%" || suffix === "percent", text: match[0] };
}

/** Equal, allowing for the rounding a writer may apply (150.4% written as 150%). */
function approximately(stated: number, value: number): boolean {
  return Math.abs(stated - value) <= Math.max(0.5, Math.abs(value) * 0.0005);
}

function monthNumber(name: string): number {
  return MONTHS.indexOf(name.slice(0, 3).toLowerCase()) + 1;
}

function calendarDay(iso: string): CalendarDay {
  const date = new Date(iso);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

function sameDay(stated: CalendarDay, known: CalendarDay): boolean {
  return (
    stated.month === known.month &&
    stated.day === known.day &&
    (stated.year === null || known.year === null || stated.year === known.year)
  );
}
