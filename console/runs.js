/** Runs: filter by workflow, status and customer; newest first, a page at a time. */
import { api } from "./api.js";
import { customerOf, h, replace, statusBadge, when } from "./dom.js";

const STATUSES = ["queued", "running", "interrupted", "completed", "failed", "cancelled"];
const PAGE_SIZE = 20;

export async function runsPage(view, { navigate }) {
  const params = new URLSearchParams(location.search);
  const { workflows } = await api("GET", "/v1/workflows");
  const select = (name, label, values, current) =>
    h(
      "div",
      { class: "field" },
      h("label", { for: `filter-${name}` }, label),
      h(
        "select",
        { id: `filter-${name}`, name },
        h("option", { value: "" }, "Any"),
        values.map((value) => h("option", { value, selected: value === current }, value)),
      ),
    );
  const form = h(
    "form",
    { class: "filters", role: "search" },
    select(
      "workflow",
      "Workflow",
      workflows.map((workflow) => workflow.name),
      params.get("workflow"),
    ),
    select("status", "Status", STATUSES, params.get("status")),
    h(
      "div",
      { class: "field" },
      h("label", { for: "filter-customer" }, "Customer"),
      h("input", {
        id: "filter-customer",
        name: "customer",
        value: params.get("customer") ?? "",
        placeholder: "external id or Polar id",
        autocomplete: "off",
      }),
    ),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary" }, "Filter")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = new URLSearchParams();
    for (const [name, value] of new FormData(form)) if (value) chosen.set(name, String(value));
    navigate(`/console/runs${chosen.size ? `?${chosen}` : ""}`);
  });

  const table = h("div", { class: "table-wrap" });
  const pager = h("nav", { class: "pager", "aria-label": "Pages" });
  replace(view, h("div", { class: "page-head" }, h("h1", {}, "Runs")), form, table, pager);

  // Cursors of the pages seen, so "Newer" goes back without the server keeping state.
  const cursors = [null];
  const show = async (index) => {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    for (const name of ["workflow", "status", "customer"]) {
      if (params.get(name)) query.set(name, params.get(name));
    }
    if (cursors[index]) query.set("cursor", cursors[index]);
    let page;
    try {
      page = await api("GET", `/v1/runs?${query}`);
    } catch (error) {
      replace(table, h("p", { class: "error" }, error.message));
      return;
    }
    cursors[index + 1] = page.next_cursor;
    replace(
      table,
      page.runs.length === 0
        ? h("p", { class: "empty" }, "No runs match.")
        : h(
            "table",
            { class: "runs" },
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                ["Started", "Workflow", "Customer", "Status", "Updated"].map((name) =>
                  h("th", { scope: "col" }, name),
                ),
              ),
            ),
            h(
              "tbody",
              {},
              page.runs.map((run) =>
                h(
                  "tr",
                  {},
                  h(
                    "td",
                    {},
                    h("a", { href: `/console/runs/${run.run_id}` }, when(run.created_at)),
                  ),
                  h("td", {}, run.workflow),
                  h("td", {}, customerOf(run)),
                  h("td", {}, statusBadge(run.status)),
                  h("td", {}, when(run.updated_at)),
                ),
              ),
            ),
          ),
    );
    replace(
      pager,
      h(
        "button",
        { type: "button", disabled: index === 0, onclick: () => show(index - 1) },
        "Newer",
      ),
      h("span", { class: "muted" }, `Page ${index + 1}`),
      h(
        "button",
        { type: "button", disabled: !page.next_cursor, onclick: () => show(index + 1) },
        "Older",
      ),
    );
  };
  await show(0);
}
