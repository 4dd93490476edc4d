/**
 * Approvals: every interrupt of the tenant waiting for a person, oldest first. The page follows
 * the tenant's event stream (/v1/events): a run that becomes interrupted adds its card, one that
 * moves on (answered elsewhere, cancelled, failed) removes it. The list is read once the stream
 * is open, and read again only while the stream is down. An answered run is followed over its
 * own event stream until it pauses or ends.
 */
import { api, followEvents, followTenantEvents } from "./api.js";
import { decisionCard } from "./decision.js";
import { ago, announce, h, link, replace, statusBadge } from "./dom.js";

/** While the stream is down: how long before trying it again (and reading the list). */
const RECONNECT_MS = 5_000;
const MOST_PAGES = 5;

async function waitingRuns() {
  const runs = [];
  let cursor = null;
  for (let page = 0; page < MOST_PAGES; page++) {
    const query = new URLSearchParams({ status: "interrupted", limit: "100" });
    if (cursor) query.set("cursor", cursor);
    const answer = await api("GET", `/v1/runs?${query}`);
    runs.push(...answer.runs);
    cursor = answer.next_cursor;
    if (!cursor) break;
  }
  // Oldest first: the run that has waited longest is at the top.
  return runs
    .filter((run) => run.interrupt)
    .sort((a, b) => a.updated_at.localeCompare(b.updated_at));
}

/** What an answered run came to, in one line: the checkout link, or how it ended. */
export function outcomeLine(run) {
  const checkout = run.output?.checkout?.url;
  return h(
    "span",
    { class: "outcome" },
    statusBadge(run.status),
    " ",
    checkout
      ? h("span", {}, "Checkout: ", link(checkout))
      : (run.output?.detail ?? run.error?.message ?? ""),
  );
}

export async function approvalsPage(view, { signal }) {
  const list = h("div", { class: "cards" });
  const answered = h("div", { class: "cards" });
  const answeredSection = h(
    "section",
    { "aria-label": "Answered here", hidden: true },
    h("h2", { class: "section-title" }, "Answered here"),
    answered,
  );
  const count = h("span", { class: "count" }, "");
  const live = h("span", { class: "live stale", title: "Connecting" }, "live");
  replace(
    view,
    h("div", { class: "page-head" }, h("h1", {}, "Approvals ", count), live),
    h(
      "p",
      { class: "lede" },
      "Runs waiting for a person, oldest first. Nothing reaches Polar until you answer.",
    ),
    list,
    answeredSection,
  );
  /** Cards on screen, by run id, with the interrupt each shows. */
  const shown = new Map();
  /** Interrupts answered here: a list read before the answer still has them. */
  const answeredHere = new Set();

  const follow = (run, status) => {
    const stop = followEvents(run.run_id, {
      onEvent: () => {},
      onEnd: async () => {
        const latest = await api("GET", `/v1/runs/${run.run_id}`).catch(() => null);
        if (!latest || signal.aborted) return;
        if (latest.status === "running" || latest.status === "queued") {
          setTimeout(() => !signal.aborted && follow(latest, status), 500);
          return;
        }
        replace(status, outcomeLine(latest));
        announce(`Run ${latest.run_id.slice(0, 8)} is ${latest.status}`);
      },
    });
    signal.addEventListener("abort", stop);
  };

  /** The runs waiting, by id, as the list and then the stream tell. */
  const waiting = new Map();

  const apply = (event) => {
    const { run_id: runId } = event.data;
    if (event.type === "status") {
      if (event.data.status === "interrupted" && event.data.interrupt)
        waiting.set(runId, event.data);
      else waiting.delete(runId);
    } else if (event.type === "answer") {
      if (waiting.get(runId)?.interrupt.id === event.data.interrupt_id) waiting.delete(runId);
    }
  };

  const showSince = () => {
    for (const since of list.querySelectorAll("[data-since]")) {
      since.textContent = `waiting ${ago(since.dataset.since)}`;
    }
  };

  const render = () => {
    const runs = [...waiting.values()].sort((a, b) => a.updated_at.localeCompare(b.updated_at));
    for (const [runId, entry] of shown) {
      if (waiting.get(runId)?.interrupt.id !== entry.interruptId) {
        entry.card.remove();
        shown.delete(runId);
        if (!waiting.has(runId)) announce("A run was answered elsewhere and left the list.");
      }
    }
    for (const run of runs) {
      if (shown.has(run.run_id) || answeredHere.has(run.interrupt.id)) continue;
      const card = decisionCard(run, {
        onAnswered: (resumed, status) => {
          answeredHere.add(run.interrupt.id);
          shown.delete(run.run_id);
          answered.prepend(card);
          answeredSection.hidden = false;
          follow(resumed, status);
        },
        onGone: (message) => {
          waiting.delete(run.run_id);
          card.remove();
          shown.delete(run.run_id);
          announce(message);
        },
      });
      shown.set(run.run_id, { card, interruptId: run.interrupt.id });
    }
    // Oldest first, whatever arrived when; cards already in place are left alone (focus, typing).
    const order = runs
      .filter((run) => !answeredHere.has(run.interrupt.id))
      .map((run) => shown.get(run.run_id)?.card)
      .filter(Boolean);
    const inPlace =
      order.length === list.children.length &&
      order.every((card, index) => list.children[index] === card);
    if (!inPlace) list.replaceChildren(...order);
    replace(count, shown.size > 0 ? String(shown.size) : "");
    showSince();
    if (shown.size === 0)
      list.replaceChildren(h("p", { class: "empty" }, "Nothing waits for you."));
  };

  /** Events that arrive while the list is being read, applied on top of it. */
  let pending = null;
  let stopStream = () => {};
  let retry;
  const connect = (after) =>
    new Promise((opened) => {
      stopStream = followTenantEvents({
        after,
        onOpen: async () => {
          pending = [];
          try {
            const runs = await waitingRuns();
            waiting.clear();
            for (const run of runs) waiting.set(run.run_id, run);
            for (const event of pending) apply(event);
            live.classList.remove("stale");
            live.title = "Updates as they happen";
          } catch (error) {
            live.title = `Could not read the list: ${error.message}`;
          }
          pending = null;
          if (!signal.aborted) render();
          opened();
        },
        onEvent: (event) => {
          if (pending) pending.push(event);
          else {
            apply(event);
            render();
          }
        },
        onEnd: (last, error) => {
          if (signal.aborted) return;
          live.classList.add("stale");
          live.title = `Reconnecting: ${error?.message ?? "the stream ended"}`;
          retry = setTimeout(() => connect(last), RECONNECT_MS);
          opened();
        },
      });
    });

  await connect(0);
  const clock = setInterval(showSince, 30_000);
  signal.addEventListener("abort", () => {
    stopStream();
    clearTimeout(retry);
    clearInterval(clock);
  });
}
