/**
 * Building the page: elements from data, text only through `shown` — which writes text nodes
 * (never HTML) and makes invisible and direction-changing characters visible, so a customer
 * name or note from Polar cannot hide or reorder what an approver reads.
 */
const INVISIBLE =
  /[\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/gu;

/** Text as a fragment, each invisible or bidi control shown as a marked `U+XXXX`. */
export function shown(text) {
  const value = String(text ?? "");
  const fragment = document.createDocumentFragment();
  let at = 0;
  for (const match of value.matchAll(INVISIBLE)) {
    if (match.index > at) fragment.append(value.slice(at, match.index));
    const code = match[0].codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
    const mark = document.createElement("span");
    mark.className = "escaped";
    mark.title = "An invisible or direction-changing character in the text";
    mark.textContent = `U+${code}`;
    fragment.append(mark);
    at = match.index + match[0].length;
  }
  if (at < value.length) fragment.append(value.slice(at));
  return fragment;
}

/** Text for attributes (titles, labels): the same characters, escaped in place. */
export function plain(text) {
  return String(text ?? "").replace(
    INVISIBLE,
    (char) => `U+${char.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")}`,
  );
}

/**
 * `h("button", { class: "primary", onclick: go, "aria-label": "…" }, "Approve")`: properties
 * starting with `on` become listeners, others attributes; string children go through `shown`.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, name === "href" ? value : plain(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : shown(child));
  }
}

export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

/** Only web links become links; anything else is shown as text. */
export function link(url, label = url) {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === "https:" || parsed.protocol === "http:") {
      return h("a", { href: parsed.href, rel: "noreferrer noopener", target: "_blank" }, label);
    }
  } catch {}
  return h("code", {}, String(url));
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "long" });

export function when(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : dateTime.format(date);
}

export function day(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : dateOnly.format(date);
}

/** "3 min ago", for how long something has waited. */
export function ago(iso) {
  const seconds = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

export function statusBadge(status) {
  return h("span", { class: `badge status-${status}` }, status);
}

/** `snake_case` → "Snake case". */
export function humanize(name) {
  const words = String(name).replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function json(value) {
  return h("pre", { class: "json" }, JSON.stringify(value, null, 2));
}

/** A definition list of an object's fields; objects inside as JSON. */
export function fields(object, { skip = [] } = {}) {
  const list = h("dl", { class: "fields" });
  for (const [key, value] of Object.entries(object ?? {})) {
    if (skip.includes(key)) continue;
    const shownValue =
      value !== null && typeof value === "object"
        ? json(value)
        : h("span", {}, value === null ? "—" : String(value));
    list.append(h("dt", {}, humanize(key)), h("dd", {}, shownValue));
  }
  return list;
}

/** Who the run is for, from the interrupt's proposed action or the run's input. */
export function customerOf(run) {
  const action = run.interrupt?.proposed_action ?? {};
  const output = run.output?.customer ?? {};
  const email = action.customer_email ?? output.email;
  const id = action.customer_id ?? output.id;
  const input = run.input?.customer ?? {};
  const ref = input.external_id ?? input.id;
  return [email, ref ?? id].filter(Boolean).join(" · ") || "—";
}

export function announce(message) {
  const region = document.getElementById("announce");
  region.textContent = "";
  setTimeout(() => {
    region.textContent = plain(message);
  }, 50);
}
