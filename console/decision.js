/**
 * One waiting interrupt as a card a person decides on: what the run asks, for whom, the exact
 * action proposed (for a checkout the usage by group as a chart and the success URL), and the
 * answer controls: Approve / Reject with a note; a choice's subscriptions; a clarification's
 * options.
 */
import { api } from "./api.js";
import { usageChart } from "./chart.js";
import { ago, customerOf, fields, h, humanize, replace } from "./dom.js";

/** A clarification's options: the enum of its required answer field (`decision`). */
function clarificationOptions(schema) {
  for (const [field, property] of Object.entries(schema?.properties ?? {})) {
    if (Array.isArray(property.enum)) return { field, values: property.enum };
  }
  return null;
}

let cards = 0;

/**
 * `onAnswered(run)`: the answer was taken (the run resumes). `onGone(message)`: someone else
 * answered first, or the run moved on.
 */
export function decisionCard(run, { onAnswered, onGone, showRunLink = true }) {
  const interrupt = run.interrupt;
  const action = interrupt.proposed_action ?? {};
  const id = `decision-${++cards}`;
  const status = h("p", { class: "card-status", role: "status" });
  const card = h("article", { class: "card", "aria-labelledby": id, "data-run-id": run.run_id });

  const heading = h(
    "header",
    { class: "card-head" },
    h("h3", { id }, `${humanize(interrupt.kind)}: ${humanize(interrupt.node)}`),
    h(
      "p",
      { class: "meta" },
      h("span", {}, humanize(run.workflow.replaceAll("-", "_"))),
      h("span", {}, customerOf(run)),
      h(
        "span",
        { title: run.updated_at, "data-since": run.updated_at },
        `waiting ${ago(run.updated_at)}`,
      ),
      showRunLink ? h("a", { href: `/console/runs/${run.run_id}` }, "Open run") : null,
    ),
  );
  // Wide screens: what is asked and the answer on the left, the proposed action beside it.
  const ask = h("div", { class: "card-ask" }, h("p", { class: "message" }, interrupt.message));
  const aside = h("div", { class: "card-aside" });
  card.append(heading, ask, aside);

  if (action.usage_by_group) {
    const what = run.input?.usage?.group_by ?? "group";
    ask.append(
      h(
        "figure",
        { class: "usage" },
        usageChart(action.usage_by_group, {
          what,
          total: action.usage_total,
          limit: action.usage_limit,
        }),
        h(
          "figcaption",
          {},
          `Usage by ${what}: ${Number(action.usage_total).toLocaleString()} of ${Number(action.usage_limit).toLocaleString()} (${action.usage_pct}%)`,
        ),
      ),
    );
  }
  if ("success_url" in action) {
    ask.append(
      h(
        "p",
        { class: "success-url" },
        h("strong", {}, "Success URL: "),
        action.success_url === null
          ? h("span", {}, "none — Polar's own confirmation page")
          : h("code", {}, action.success_url),
      ),
    );
  }
  aside.append(
    h(
      "details",
      // Open where there is room for it; one tap away on a phone (the message names each value).
      { class: "proposed", open: matchMedia("(min-width: 761px)").matches },
      h("summary", {}, "Proposed action"),
      fields(action, { skip: ["usage_by_group"] }),
    ),
  );

  const form = h("form", { class: "answer" });
  const note = h("textarea", {
    id: `${id}-note`,
    rows: "2",
    maxlength: "2000",
    placeholder: "Why, for the record",
  });
  const noteField = h(
    "div",
    { class: "field" },
    h("label", { for: `${id}-note` }, "Note (optional)"),
    note,
  );
  const buttons = h("div", { class: "buttons" });
  const send = async (resume, verb) => {
    for (const button of form.querySelectorAll("button")) button.disabled = true;
    replace(status, `${verb}…`);
    try {
      const answered = await api("POST", `/v1/runs/${run.run_id}/resume`, {
        resume,
        interrupt_id: interrupt.id,
        wait: false,
      });
      card.classList.add("answered");
      form.remove();
      replace(status, `${verb}. The run goes on…`);
      onAnswered?.(answered, status);
    } catch (error) {
      for (const button of form.querySelectorAll("button")) button.disabled = false;
      if (error.status === 409 || error.status === 404) {
        onGone?.("This was answered elsewhere.");
        return;
      }
      replace(status, h("span", { class: "error" }, error.message));
    }
  };
  const withNote = (answer) =>
    note.value.trim() ? { ...answer, note: note.value.trim() } : answer;

  if (interrupt.kind === "approval") {
    buttons.append(
      h("button", { type: "submit", class: "primary", value: "approve" }, "Approve"),
      h("button", { type: "submit", class: "danger", value: "reject" }, "Reject"),
    );
    form.append(noteField, buttons);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const approved = event.submitter?.value === "approve";
      send(withNote({ approved }), approved ? "Approved" : "Rejected");
    });
  } else {
    const choice = interrupt.kind === "choice";
    const clarification = choice ? null : clarificationOptions(interrupt.resume_schema);
    const options = choice
      ? (interrupt.options ?? []).map((option) => ({ value: option.id, label: option.label }))
      : (clarification?.values ?? []).map((value) => ({ value, label: humanize(value) }));
    const group = h(
      "fieldset",
      { class: "options" },
      h("legend", {}, choice ? "Which subscription?" : "Your answer"),
      options.map((option, index) =>
        h(
          "label",
          { class: "option" },
          h("input", {
            type: "radio",
            name: `${id}-option`,
            value: option.value,
            required: true,
            checked: index === 0,
          }),
          h("span", {}, option.label),
          choice ? h("code", {}, option.value) : null,
        ),
      ),
    );
    buttons.append(h("button", { type: "submit", class: "primary" }, "Send answer"));
    form.append(...[group, choice ? null : noteField, buttons].filter(Boolean));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const picked = form.querySelector(`input[name="${id}-option"]:checked`)?.value;
      if (!picked) return;
      const resume = choice
        ? { subscription_id: picked }
        : withNote({ [clarification.field]: picked });
      send(resume, "Answered");
    });
  }
  ask.append(form, status);
  return card;
}
