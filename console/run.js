/**
 * One run: the workflow graph with the current node marked, the decision it waits for (if
 * any), its output (checkout link, drafted email, access-until date), the answers on record,
 * the checkpoint timeline with the state at each, and its events live.
 */
import { api, followEvents } from "./api.js";
import { decisionCard } from "./decision.js";
import {
  announce,
  customerOf,
  day,
  h,
  humanize,
  json,
  link,
  replace,
  statusBadge,
  when,
} from "./dom.js";
import { drawGraph } from "./graph.js";

const WATCH_WAITING_MS = 3_000;

function section(title, ...children) {
  return h("section", { class: "panel", "aria-label": title }, h("h2", {}, title), ...children);
}

function outputView(run) {
  const output = run.output;
  if (!output)
    return h(
      "p",
      { class: "muted" },
      run.error ? `${run.error.code}: ${run.error.message}` : "No output yet.",
    );
  const parts = [];
  if (output.outcome)
    parts.push(
      h(
        "p",
        {},
        h("strong", {}, "Outcome: "),
        humanize(output.outcome),
        output.detail ? ` — ${output.detail}` : "",
      ),
    );
  if (output.checkout?.url) {
    parts.push(
      h(
        "p",
        { class: "checkout" },
        h("strong", {}, "Checkout link: "),
        link(output.checkout.url),
        output.checkout.expires_at
          ? h("span", { class: "muted" }, ` (expires ${when(output.checkout.expires_at)})`)
          : "",
      ),
    );
  }
  if (output.access_until)
    parts.push(h("p", {}, h("strong", {}, "Access until: "), day(output.access_until)));
  const email =
    output.email ??
    (output.message ? { body: output.message, generated_by: output.message_generated_by } : null);
  if (email) {
    parts.push(
      h(
        "div",
        { class: "email" },
        h(
          "h3",
          {},
          "Drafted email",
          email.generated_by ? h("span", { class: "muted" }, ` (${email.generated_by})`) : "",
        ),
        email.subject ? h("p", { class: "subject" }, email.subject) : null,
        h("div", { class: "email-body" }, email.body ?? ""),
      ),
    );
  }
  parts.push(h("details", {}, h("summary", {}, "All output"), json(output)));
  return parts;
}

function answersView(run) {
  if (run.answers.length === 0) return h("p", { class: "muted" }, "No answers yet.");
  return h(
    "ol",
    { class: "answers" },
    run.answers.map((answer) =>
      h(
        "li",
        {},
        h("span", { class: `badge action-${answer.action}` }, answer.action),
        ` ${humanize(answer.node)} by `,
        h("strong", {}, answer.answered_by),
        `, ${when(answer.answered_at)}`,
        answer.note ? h("blockquote", {}, answer.note) : null,
      ),
    ),
  );
}

export async function runPage(view, { runId, signal }) {
  let run = await api("GET", `/v1/runs/${encodeURIComponent(runId)}`);
  const { workflows } = await api("GET", "/v1/workflows");
  const workflow = workflows.find((one) => one.name === run.workflow);

  const title = h("h1", {});
  const meta = h("p", { class: "meta" });
  const actions = h("div", { class: "buttons" });
  const decision = h("div", {});
  const graph = h(
    "div",
    { class: "graph", "aria-live": "off" },
    h("p", { class: "muted" }, "Drawing…"),
  );
  const output = h("div", {});
  const answers = h("div", {});
  const timeline = h("ol", { class: "timeline" });
  const state = h("div", { class: "state" });
  const events = h("ol", { class: "events", "aria-live": "off" });
  replace(
    view,
    h("div", { class: "page-head run-head" }, h("div", {}, title, meta), actions),
    decision,
    h(
      "div",
      { class: "run-grid" },
      h("div", {}, section("Workflow", graph), section("Checkpoints", timeline, state)),
      h(
        "div",
        {},
        section("Output", output),
        section("Answers", answers),
        section("Live events", events),
      ),
    ),
  );

  let checkpoints = [];
  const showCheckpoint = async (checkpoint, button) => {
    for (const other of timeline.querySelectorAll("button"))
      other.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-pressed", "true");
    try {
      const at = await api("GET", `/v1/runs/${run.run_id}/checkpoints/${checkpoint.checkpoint_id}`);
      replace(
        state,
        h("h3", {}, `State at step ${at.step}`),
        at.next.length ? h("p", { class: "muted" }, `Next: ${at.next.join(", ")}`) : null,
        json(at.values),
      );
    } catch (error) {
      replace(state, h("p", { class: "error" }, error.message));
    }
  };
  const loadCheckpoints = async () => {
    checkpoints = (await api("GET", `/v1/runs/${run.run_id}/checkpoints?limit=100`)).checkpoints;
    replace(
      timeline,
      checkpoints.map((checkpoint) => {
        const button = h(
          "button",
          { type: "button", class: "quiet", "aria-pressed": "false" },
          h("span", { class: "step" }, `Step ${checkpoint.step}`),
          h("span", {}, checkpoint.ran.length ? checkpoint.ran.join(", ") : checkpoint.source),
          h("span", { class: "muted" }, when(checkpoint.created_at)),
        );
        button.addEventListener("click", () => showCheckpoint(checkpoint, button));
        return h("li", {}, button);
      }),
    );
    if (checkpoints.length === 0)
      timeline.append(h("li", { class: "muted" }, "No checkpoints yet."));
  };
  const redrawGraph = () => {
    if (!workflow) return;
    const current =
      run.interrupt?.node ??
      (run.status === "completed" ? "__end__" : (checkpoints[0]?.next[0] ?? null));
    drawGraph(graph, workflow.mermaid, {
      current,
      done: checkpoints.flatMap((checkpoint) => checkpoint.ran),
    });
  };

  const act = async (label, path, body) => {
    try {
      run = await api("POST", path, body);
      announce(`${label}: the run is ${run.status}`);
      await render();
      watch();
    } catch (error) {
      announce(error.message);
      replace(decision, h("p", { class: "error", role: "alert" }, error.message));
    }
  };

  const render = async () => {
    replace(title, humanize(run.workflow.replaceAll("-", "_")), " ", statusBadge(run.status));
    replace(
      meta,
      h("span", {}, customerOf(run)),
      h("span", {}, "Run ", h("code", {}, run.run_id)),
      h("span", {}, `Started ${when(run.created_at)}`),
      h("span", {}, `Updated ${when(run.updated_at)}`),
    );
    const cancellable =
      ["queued", "running", "interrupted"].includes(run.status) ||
      (run.status === "failed" && run.error?.retryable);
    replace(
      actions,
      run.status === "failed" && run.error?.retryable
        ? h(
            "button",
            {
              type: "button",
              class: "primary",
              onclick: () => act("Retried", `/v1/runs/${run.run_id}/resume`, { wait: false }),
            },
            "Retry",
          )
        : null,
      cancellable
        ? h(
            "button",
            {
              type: "button",
              class: "danger",
              onclick: () =>
                confirm("Cancel this run? It will not continue.") &&
                act("Cancelled", `/v1/runs/${run.run_id}/cancel`),
            },
            "Cancel run",
          )
        : null,
    );
    const waitingFor = run.status === "interrupted" ? run.interrupt?.id : null;
    if (waitingFor && decision.dataset.interrupt === waitingFor) {
      // The same question still waits: keep the card (and whatever is typed in it).
    } else {
      decision.dataset.interrupt = waitingFor ?? "";
      replace(
        decision,
        waitingFor
          ? decisionCard(run, {
              showRunLink: false,
              onAnswered: (resumed) => {
                run = resumed;
                render();
                watch();
              },
              onGone: () => refresh(),
            })
          : null,
        run.status === "failed" && run.error
          ? h("p", { class: "error", role: "alert" }, `${run.error.code}: ${run.error.message}`)
          : null,
      );
    }
    replace(output, outputView(run));
    replace(answers, answersView(run));
    await loadCheckpoints().catch(() => {});
    redrawGraph();
  };

  /** Reads the run again; draws it again only when it changed. */
  const refresh = async () => {
    const latest = await api("GET", `/v1/runs/${run.run_id}`);
    const changed = latest.updated_at !== run.updated_at || latest.status !== run.status;
    run = latest;
    if (changed) await render();
    return changed;
  };

  // Events: the log so far, then live until the run pauses or ends. While it waits for a
  // person the stream has ended, so the run is read again every few seconds: an answer given
  // elsewhere shows, and the stream is followed again once the run moves.
  let lastEvent = 0;
  let stopStream = () => {};
  let timer;
  const logEvent = (event) => {
    const what =
      event.type === "node"
        ? event.data.node
        : event.type === "status"
          ? event.data.status
          : event.type === "answer"
            ? `${event.data.action} by ${event.data.answered_by}`
            : (event.data.interrupt?.node ?? "");
    events.prepend(
      h(
        "li",
        {},
        h("span", { class: `badge event-${event.type}` }, event.type),
        " ",
        what,
        h("details", {}, h("summary", {}, "data"), json(event.data)),
      ),
    );
  };
  const whileWaiting = () => {
    timer = setTimeout(async () => {
      if (signal.aborted) return;
      const changed = await refresh().catch(() => false);
      if (changed && ["queued", "running"].includes(run.status)) watch();
      else if (run.status === "interrupted") whileWaiting();
    }, WATCH_WAITING_MS);
  };
  const watch = () => {
    stopStream();
    clearTimeout(timer);
    stopStream = followEvents(run.run_id, {
      after: lastEvent,
      onEvent: (event) => {
        lastEvent = event.id;
        logEvent(event);
        if (event.type === "status") refresh().catch(() => {});
      },
      onEnd: async (last, error) => {
        lastEvent = last;
        if (signal.aborted) return;
        await refresh().catch(() => {});
        if (run.status === "interrupted") whileWaiting();
        else if (["queued", "running"].includes(run.status) || error) {
          timer = setTimeout(() => !signal.aborted && watch(), 1_000);
        }
      },
    });
  };
  signal.addEventListener("abort", () => {
    stopStream();
    clearTimeout(timer);
  });

  await render();
  watch();
}
