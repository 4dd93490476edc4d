/**
 * Watches (§10): each usage watch of the tenant with its settings and its last sweep's figures,
 * and "Sweep now" / "Dry run" buttons that show who would be contacted or which runs started.
 * Sweeping is an approver's action; the console is signed in with approver keys only.
 */
import { api, followEvents } from "./api.js";
import { announce, fields, h, replace, statusBadge, when } from "./dom.js";

const SETTLED = new Set(["completed", "failed", "cancelled", "interrupted"]);

/** A sweep run once it has ended: a long sweep outlives the request's bounded wait. */
function settled(run, signal) {
  if (SETTLED.has(run.status)) return Promise.resolve(run);
  return new Promise((resolve, reject) => {
    const stop = followEvents(run.run_id, {
      onEvent: () => {},
      onEnd: async (_last, error) => {
        if (error) return reject(error);
        const latest = await api("GET", `/v1/runs/${run.run_id}`).catch(reject);
        if (latest) resolve(SETTLED.has(latest.status) ? latest : settled(latest, signal));
      },
    });
    signal.addEventListener("abort", stop);
  });
}

function settings(watch) {
  const limit = watch.limit === null ? "each customer's meter credits" : `${watch.limit} units`;
  return fields({
    meter: watch.meter_id,
    current_product: watch.current_product?.name ?? "any",
    upgrade_to: watch.upgrade_product.name,
    threshold: `${watch.threshold_pct} % of ${limit}`,
    schedule: watch.schedule ? `${watch.schedule} (UTC)` : "by hand only",
    next_sweep: watch.next_sweep_at ? when(watch.next_sweep_at) : null,
    approval: watch.require_approval ? "a person approves each run" : "runs without approval",
  });
}

/** The figures of a sweep's output, in one line each. */
function figures(output) {
  return fields({
    customers_checked: output.checked,
    over_threshold: output.over_threshold.length,
    runs_started: output.started,
    already_started: output.already_started,
    polar_requests: output.polar_requests,
  });
}

async function lastSweep(watch) {
  if (!watch.last_sweep) return h("p", { class: "muted" }, "Never swept.");
  const { run_id: runId, started_at: startedAt } = watch.last_sweep;
  const run = await api("GET", `/v1/runs/${runId}`).catch(() => null);
  return h(
    "div",
    {},
    h(
      "p",
      {},
      run?.input?.dry_run ? "Dry run " : "Sweep ",
      when(startedAt),
      " ",
      statusBadge(run?.status ?? watch.last_sweep.status ?? "unknown"),
      " ",
      h("a", { href: `/console/runs/${runId}` }, "Open run"),
    ),
    run?.output ? figures(run.output) : null,
  );
}

/** Who a sweep found over the threshold, and the run each got (a dry run starts none). */
function result(run) {
  if (run.status !== "completed") {
    return h("p", { class: "error" }, `The sweep is ${run.status}: ${run.error?.message ?? ""}`);
  }
  const { output } = run;
  const over = output.over_threshold;
  const headline = output.dry_run
    ? `Dry run: ${over.length} customer${over.length === 1 ? "" : "s"} would be contacted.`
    : `Sweep: ${output.started} run${output.started === 1 ? "" : "s"} started, ${output.already_started} already started.`;
  return h(
    "div",
    {},
    h("p", { class: "headline" }, headline),
    over.length === 0
      ? null
      : h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "runs" },
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                ["Customer", "Used", "Limit", "%", "Run"].map((name) =>
                  h("th", { scope: "col" }, name),
                ),
              ),
            ),
            h(
              "tbody",
              {},
              over.map((customer) =>
                h(
                  "tr",
                  {},
                  h("td", {}, customer.external_id ?? customer.customer_id),
                  h("td", {}, String(customer.consumed)),
                  h("td", {}, String(customer.limit)),
                  h("td", {}, `${Math.round(customer.pct)} %`),
                  h(
                    "td",
                    {},
                    customer.run_id
                      ? h("a", { href: `/console/runs/${customer.run_id}` }, "Open run")
                      : "—",
                  ),
                ),
              ),
            ),
          ),
        ),
  );
}

function watchCard(watch, { signal }) {
  const titleId = `watch-${watch.name}`;
  const last = h("div", {});
  const outcome = h("div", {
    class: "sweep-result",
    role: "region",
    "aria-label": `Result for ${watch.name}`,
  });
  const refreshLast = async (view) => replace(last, await lastSweep(view));
  void refreshLast(watch);
  const sweepButton = h("button", { type: "button", class: "primary" }, "Sweep now");
  const dryButton = h("button", { type: "button" }, "Dry run");
  const buttons = [sweepButton, dryButton];
  const sweep = async (dryRun, button) => {
    for (const one of buttons) one.disabled = true;
    replace(outcome, h("p", { class: "muted" }, dryRun ? "Dry run…" : "Sweeping…"));
    try {
      const started = await api("POST", `/v1/watches/${encodeURIComponent(watch.name)}/sweep`, {
        dry_run: dryRun,
      });
      const run = await settled(started, signal);
      if (signal.aborted) return;
      replace(outcome, result(run));
      announce(outcome.querySelector(".headline")?.textContent ?? `The sweep is ${run.status}.`);
      await refreshLast(await api("GET", `/v1/watches/${encodeURIComponent(watch.name)}`));
    } catch (error) {
      replace(outcome, h("p", { class: "error" }, error.problem?.detail ?? error.message));
    } finally {
      for (const one of buttons) one.disabled = false;
      button.focus();
    }
  };
  sweepButton.addEventListener("click", () => sweep(false, sweepButton));
  dryButton.addEventListener("click", () => sweep(true, dryButton));
  return h(
    "article",
    { class: "card watch", "aria-labelledby": titleId, "data-watch": watch.name },
    h(
      "div",
      { class: "card-head watch-title" },
      h("h2", { id: titleId }, watch.name),
      h(
        "span",
        { class: `badge ${watch.enabled ? "status-running" : "status-cancelled"}` },
        watch.enabled ? "enabled" : "paused",
      ),
    ),
    h("div", { class: "card-ask" }, settings(watch)),
    h(
      "div",
      { class: "card-aside" },
      h("h3", {}, "Last sweep"),
      last,
      h("div", { class: "buttons" }, sweepButton, dryButton),
    ),
    outcome,
  );
}

export async function watchesPage(view, { signal }) {
  const { watches } = await api("GET", "/v1/watches");
  replace(
    view,
    h("div", { class: "page-head" }, h("h1", {}, "Watches")),
    h(
      "p",
      { class: "lede" },
      "Usage watches read a meter and start an overage remediation for each customer over the threshold. A dry run only lists them.",
    ),
    watches.length === 0
      ? h("p", { class: "empty" }, "No watches yet: create one with PUT /v1/watches/{name}.")
      : h(
          "div",
          { class: "cards" },
          watches.map((watch) => watchCard(watch, { signal })),
        ),
  );
}
