/**
 * The console in a real browser against the real service: an approver signs in (from a
 * notice's deep link), sees the overage approval with its usage chart and success URL,
 * approves it and sees the run completed with its checkout link; rejects another with a note
 * (shown with its hidden characters visible); a decision made elsewhere removes its card; an
 * agent key is refused; the key never lands in a URL or in web storage.
 * `CONSOLE_SCREENSHOTS=1` also saves docs/console-approvals.png and docs/console-run.png.
 */
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SUBSCRIPTIONS } from "../../polar/simulator/seed.ts";
import { sqliteBackend } from "../helpers/backends.ts";
import { OFFBOARDING_INPUT, OVERAGE_INPUT } from "../helpers/scenarios.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import {
  AGENT_KEY,
  APPROVER_KEY,
  CONSOLE_API_KEYS,
  chromiumAvailable,
  launchChromium,
} from "./browser.ts";

const SUCCESS_URL = "https://example.com/billing/done?checkout_id={CHECKOUT_ID}";
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS === "1";
const DOCS = join(import.meta.dirname, "..", "..", "docs");
/** A shared 2-core machine running the suite in parallel is slow; the browser waits for it. */
const PATIENT = { timeout: 20_000 };
const BROWSER_TESTS = { timeout: 90_000 };
const HAS_CHROMIUM = chromiumAvailable();

describe.runIf(HAS_CHROMIUM)("the console in Chromium", BROWSER_TESTS, () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const urls: string[] = [];
  const pageErrors: string[] = [];
  const runs: Record<"approve" | "reject" | "choice", string> = {
    approve: "",
    reject: "",
    choice: "",
  };

  const start = async (workflow: string, input: unknown) => {
    // An agent starts the runs; only a person (an approver) may answer them.
    const answer = await server.call("POST", `/v1/workflows/${workflow}/runs`, {
      body: { input },
      key: AGENT_KEY,
    });
    expect(answer.json.status).toBe("interrupted");
    return answer.json.run_id as string;
  };
  const card = (runId: string) => page.locator(`article[data-run-id="${runId}"]`);

  beforeAll(async () => {
    server = await startTestServer(sqliteBackend(), { env: { API_KEYS: CONSOLE_API_KEYS } });
    runs.choice = await start("subscription-offboarding", {
      ...OFFBOARDING_INPUT,
      customer: { external_id: "usr_two_subs" },
    });
    runs.approve = await start("overage-remediation", {
      ...OVERAGE_INPUT,
      success_url: SUCCESS_URL,
    });
    runs.reject = await start("overage-remediation", OVERAGE_INPUT);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on("request", (request) => urls.push(request.url()));
    page.on("framenavigated", (frame) => urls.push(frame.url()));
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(message.text());
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test("an agent key is refused with a message", async () => {
    await page.goto(`${server.url}/console`);
    await page.getByLabel("API key").fill(AGENT_KEY);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent(), PATIENT).toMatch(/approver key/);
    expect(await page.getByRole("link", { name: "Approvals" }).isVisible()).toBe(false);
    expect(await context.cookies()).toEqual([]);
  });

  test("a notice's link: sign in as approver and land on the run", async () => {
    await page.goto(`${server.url}/console/runs/${runs.approve}`);
    await page.getByLabel("API key").fill(APPROVER_KEY);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect
      .poll(() => page.locator("h1").first().textContent(), PATIENT)
      .toMatch(/Overage remediation/);
    expect(page.url()).toBe(`${server.url}/console/runs/${runs.approve}`);
    await page.getByRole("button", { name: "Approve", exact: true }).waitFor();
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    expect(cookie!.value).not.toContain(APPROVER_KEY);
  });

  test("approvals: the overage approval with its usage chart and success URL, oldest first; choices offer their subscriptions", async () => {
    await page.getByRole("link", { name: "Approvals" }).click();
    const approval = card(runs.approve);
    await approval.waitFor();
    await expect
      .poll(() => approval.getByRole("img", { name: /^Usage by endpoint/ }).count(), PATIENT)
      .toBe(1);
    expect(
      await approval
        .getByRole("img", { name: /^Usage by endpoint/ })
        .locator("rect")
        .count(),
    ).toBeGreaterThan(1);
    expect(await approval.locator(".success-url").textContent()).toContain(SUCCESS_URL);
    expect(await approval.textContent()).toContain("ada@");
    const order = await page
      .locator("article[data-run-id]")
      .evaluateAll((cards) => cards.map((one) => one.getAttribute("data-run-id")));
    expect(order).toEqual([runs.choice, runs.approve, runs.reject]);
    const choice = card(runs.choice);
    expect(await choice.getByRole("radio").count()).toBe(2);
    expect(await choice.textContent()).toContain(SUBSCRIPTIONS.katherinePro);
    if (SCREENSHOTS) {
      await page.screenshot({ path: join(DOCS, "console-approvals.png"), fullPage: true });
    }
  });

  test("approve: the run completes and shows its checkout link", async () => {
    const approval = card(runs.approve);
    await approval.getByLabel("Note (optional)").fill("over for three weeks running");
    await approval.getByRole("button", { name: "Approve", exact: true }).click();
    await approval.getByText("completed").waitFor({ timeout: 20_000 });
    const { json: run } = await server.call("GET", `/v1/runs/${runs.approve}`, { key: AGENT_KEY });
    const checkout = approval.getByRole("link", { name: run.output.checkout.url });
    expect(run.status).toBe("completed");
    expect(run.answers).toMatchObject([
      { action: "approved", answered_by: "ops", note: "over for three weeks running" },
    ]);
    expect(await checkout.getAttribute("href")).toBe(run.output.checkout.url);

    await approval.getByRole("link", { name: "Open run" }).click();
    await page.getByText("Checkout link:").waitFor();
    const link = page.locator(".checkout a");
    expect(await link.getAttribute("href")).toBe(run.output.checkout.url);
    expect(await page.locator(".email .subject").textContent()).toBe(run.output.email.subject);
    await expect.poll(() => page.locator(".graph svg").count(), PATIENT).toBe(1);
    expect(await page.getByRole("region", { name: "Answers" }).textContent()).toContain("ops");
    await page.getByRole("button", { name: /^Step 1/ }).click();
    await page.getByText("State at step 1").waitFor();
    if (SCREENSHOTS) {
      await page.evaluate("window.scrollTo(0, 0)");
      await page.screenshot({ path: join(DOCS, "console-run.png"), fullPage: true });
    }
  });

  test("reject with a note: the run ends rejected, the note shown with hidden characters visible", async () => {
    await page.getByRole("link", { name: "Approvals" }).click();
    const rejection = card(runs.reject);
    await rejection.getByLabel("Note (optional)").fill("not now \u202Eevil");
    await rejection.getByRole("button", { name: "Reject", exact: true }).click();
    await rejection.getByText("completed").waitFor({ timeout: 20_000 });
    const { json: run } = await server.call("GET", `/v1/runs/${runs.reject}`, { key: AGENT_KEY });
    expect(run).toMatchObject({ status: "completed", output: { outcome: "rejected" } });
    expect(run.answers).toMatchObject([{ action: "rejected", answered_by: "ops" }]);

    await page.goto(`${server.url}/console/runs/${runs.reject}`);
    const answers = page.getByRole("region", { name: "Answers" });
    await answers.getByText("rejected").waitFor();
    expect(await answers.textContent()).toContain("not now U+202Eevil");
  });

  test("decisions made elsewhere: the next question replaces the card, the last one removes it", async () => {
    await page.getByRole("link", { name: "Approvals" }).click();
    const offboarding = card(runs.choice);
    await offboarding.getByRole("radio").first().waitFor();
    const answer = (resume: unknown) =>
      server.call("POST", `/v1/runs/${runs.choice}/resume`, {
        body: { resume, wait: true },
        key: APPROVER_KEY,
      });
    const chosen = await answer({ subscription_id: SUBSCRIPTIONS.katherinePro });
    expect(chosen.json.interrupt.node).toBe("approve_cancellation");
    await offboarding.getByRole("button", { name: "Approve", exact: true }).waitFor();
    expect(await offboarding.getByRole("radio").count()).toBe(0);
    expect((await answer({ approved: true })).json.status).toBe("completed");
    await offboarding.waitFor({ state: "detached", timeout: 15_000 });
    await page.getByText("Nothing waits for you.").waitFor();

    await page.goto(`${server.url}/console/runs/${runs.choice}`);
    const output = page.getByRole("region", { name: "Output" });
    await output.getByText("Access until:").waitFor();
    expect(await output.textContent()).toContain("Drafted email");
  });

  test("a run's page cancels the run it shows", async () => {
    const runId = await start("overage-remediation", OVERAGE_INPUT);
    await page.goto(`${server.url}/console/runs/${runId}`);
    page.once("dialog", (dialog) => dialog.accept());
    await page.getByRole("button", { name: "Cancel run" }).click();
    await page.locator("h1 .status-cancelled").waitFor();
    expect(await page.getByRole("button", { name: "Cancel run" }).count()).toBe(0);
    const { json: run } = await server.call("GET", `/v1/runs/${runId}`, { key: AGENT_KEY });
    expect(run.status).toBe("cancelled");
  });

  test("on a phone: no sideways scrolling; the runs list filters by customer", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}/console/runs`);
    await page.getByLabel("Customer").fill("usr_two_subs");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect.poll(() => page.locator("table.runs tbody tr").count(), PATIENT).toBe(1);
    expect(page.url()).toContain("customer=usr_two_subs");
    const overflow = await page.evaluate<number>(
      "document.documentElement.scrollWidth - document.documentElement.clientWidth",
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test("the key is in no URL and in no web storage; the page raised no errors", async () => {
    const storage = await page.evaluate<string>(
      "JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } })",
    );
    expect(storage).toBe(JSON.stringify({ local: {}, session: {} }));
    expect(urls.length).toBeGreaterThan(10);
    for (const url of urls) {
      expect(url).not.toContain(APPROVER_KEY);
      expect(url).not.toContain(AGENT_KEY);
    }
    expect(await page.evaluate<number>("history.length")).toBeGreaterThan(1);
    // 401/403 answers to the refused sign-in and the first whoami are expected in the log.
    expect(pageErrors.filter((error) => !/status of 40[13]/.test(error))).toEqual([]);
  });
});

describe.runIf(HAS_CHROMIUM)("the console without API_KEYS (loopback)", BROWSER_TESTS, () => {
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startTestServer(sqliteBackend());
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test("opens without signing in, as the local approver", async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/console`);
    await page.getByRole("heading", { name: "Approvals" }).waitFor();
    expect(await page.getByLabel("API key").count()).toBe(0);
    expect(await page.locator("#who-name").textContent()).toBe("local · default");
  });
});
