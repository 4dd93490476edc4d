/**
 * The console's shell: who is signed in, the sign-in form, and the pages by path
 * (/console/approvals, /console/runs, /console/runs/{id}) with the browser's history. The key
 * typed into the form is sent once, in the body of the sign-in request, and then forgotten:
 * the session is an HttpOnly cookie this code cannot read.
 */
import { ApiError, api, onSignedOut } from "./api.js";
import { approvalsPage } from "./approvals.js";
import { h, replace } from "./dom.js";
import { runPage } from "./run.js";
import { runsPage } from "./runs.js";
import { watchesPage } from "./watches.js";

const view = document.getElementById("view");
const nav = document.getElementById("nav");
const who = document.getElementById("who");
let leaving = new AbortController();

function route(path) {
  const run = /^\/console\/runs\/([0-9a-f-]{36})\/?$/.exec(path);
  if (run) return { page: "run", runId: run[1] };
  if (/^\/console\/runs\/?$/.test(path)) return { page: "runs" };
  if (/^\/console\/watches\/?$/.test(path)) return { page: "watches" };
  return { page: "approvals" };
}

function navigate(url) {
  history.pushState(null, "", url);
  // A screen reader starts reading the new page, not where the old one was left.
  show().then(() => view.focus({ preventScroll: true }));
}

async function show() {
  leaving.abort();
  leaving = new AbortController();
  const { signal } = leaving;
  const where = route(location.pathname);
  for (const link of nav.querySelectorAll("a")) {
    const current = link.dataset.page === (where.page === "run" ? "runs" : where.page);
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${{ approvals: "Approvals", runs: "Runs", run: "Run", watches: "Watches" }[where.page]} · polar-flows`;
  try {
    if (where.page === "approvals") await approvalsPage(view, { signal });
    else if (where.page === "runs") await runsPage(view, { signal, navigate });
    else if (where.page === "watches") await watchesPage(view, { signal });
    else await runPage(view, { runId: where.runId, signal });
  } catch (error) {
    if (signal.aborted || (error instanceof ApiError && error.status === 401)) return;
    replace(
      view,
      h(
        "div",
        { class: "panel" },
        h("h1", {}, "Something went wrong"),
        h("p", { class: "error" }, error.message),
      ),
    );
  }
}

function signedIn(me) {
  replace(document.getElementById("who-name"), `${me.name} · ${me.tenant}`);
  nav.hidden = false;
  who.hidden = false;
  show();
}

function signInForm(reason) {
  leaving.abort();
  nav.hidden = true;
  who.hidden = true;
  const key = h("input", {
    id: "api-key",
    name: "key",
    type: "password",
    autocomplete: "off",
    required: true,
    spellcheck: "false",
  });
  const message = h("p", { class: "error", role: "alert" }, reason ?? "");
  const form = h(
    "form",
    { class: "sign-in panel", "aria-labelledby": "sign-in-title" },
    h("h1", { id: "sign-in-title" }, "Sign in to the console"),
    h(
      "p",
      { class: "muted" },
      "Use an approver key from API_KEYS (tenant:name:approver=key). Agent keys cannot answer for a person.",
    ),
    h("div", { class: "field" }, h("label", { for: "api-key" }, "API key"), key),
    message,
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary" }, "Sign in")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    replace(message, "");
    try {
      const me = await api("POST", "/console/session", { key: key.value });
      key.value = "";
      signedIn(me);
    } catch (error) {
      key.value = "";
      replace(message, error.problem?.detail ?? error.message);
      button.disabled = false;
      key.focus();
    }
  });
  replace(view, form);
  key.focus();
}

onSignedOut((error) => signInForm(error.problem?.detail));

document.getElementById("sign-out").addEventListener("click", async () => {
  await api("DELETE", "/console/session").catch(() => {});
  signInForm("Signed out.");
});

// Links inside the console change the page without reloading it.
document.addEventListener("click", (event) => {
  const anchor = event.target.closest?.("a[href^='/console']");
  if (
    !anchor ||
    anchor.target ||
    event.metaKey ||
    event.ctrlKey ||
    event.shiftKey ||
    event.button !== 0
  )
    return;
  event.preventDefault();
  navigate(anchor.getAttribute("href"));
});
window.addEventListener("popstate", show);

try {
  signedIn(await api("GET", "/v1/whoami"));
} catch (error) {
  if (error instanceof ApiError && error.status === 401) signInForm();
  else replace(view, h("p", { class: "error" }, `The service does not answer: ${error.message}`));
}
