/**
 * The Approvals page follows the tenant's event stream: a run that becomes interrupted after the
 * page is open appears without a reload, an answer given over REST removes its card, and the
 * page does not read the list again while the stream is up.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { sqliteBackend } from "../helpers/backends.ts";
import { OVERAGE_INPUT } from "../helpers/scenarios.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import {
  AGENT_KEY,
  APPROVER_KEY,
  CONSOLE_API_KEYS,
  chromiumAvailable,
  launchChromium,
} from "./browser.ts";

const OTHER_TENANT_KEY = "other-tenant-key-0123456789";

describe.runIf(chromiumAvailable())("the Approvals page, live", { timeout: 90_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const listReads: string[] = [];

  beforeAll(async () => {
    server = await startTestServer(sqliteBackend(), {
      env: { API_KEYS: `${CONSOLE_API_KEYS},other=${OTHER_TENANT_KEY}` },
    });
    browser = await launchChromium();
    page = await browser.newPage();
    page.on("request", (request) => {
      if (new URL(request.url()).pathname === "/v1/runs") listReads.push(request.url());
    });
    await page.goto(`${server.url}/console`);
    await page.getByLabel("API key").fill(APPROVER_KEY);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("Nothing waits for you.").waitFor({ timeout: 20_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const start = async (key: string) => {
    const { json } = await server.call("POST", "/v1/workflows/overage-remediation/runs", {
      body: { input: OVERAGE_INPUT },
      key,
    });
    expect(json.status).toBe("interrupted");
    return json.run_id as string;
  };

  test("a run interrupted after the page opened appears; an answer over REST removes it", async () => {
    const readsBefore = listReads.length;
    const otherTenants = await start(OTHER_TENANT_KEY);
    const runId = await start(AGENT_KEY);
    const startedAt = Date.now();
    const card = page.locator(`article[data-run-id="${runId}"]`);
    await card.getByRole("button", { name: "Approve", exact: true }).waitFor({ timeout: 5_000 });
    const appearedMs = Date.now() - startedAt;
    expect(await page.locator(`article[data-run-id="${otherTenants}"]`).count()).toBe(0);
    expect(await page.locator("article[data-run-id]").count()).toBe(1);

    const answeredAt = Date.now();
    const answer = await server.call("POST", `/v1/runs/${runId}/resume`, {
      body: { resume: { approved: false }, wait: false },
      key: APPROVER_KEY,
    });
    expect(answer.status).toBe(200);
    await card.waitFor({ state: "detached", timeout: 5_000 });
    const removedMs = Date.now() - answeredAt;
    await page.getByText("Nothing waits for you.").waitFor();
    // No polling: the list was not read again while the stream stayed up.
    expect(listReads.length).toBe(readsBefore);
    console.info(
      `card appeared ${appearedMs} ms after the run was interrupted, removed ${removedMs} ms after the answer`,
    );
  });
});
