/**
 * The Watches page in Chromium: a watch over a crowd with a few customers over their credits; a
 * dry run lists who would be contacted and starts nothing, "Sweep now" starts their runs, and
 * those runs wait on the Approvals page. `CONSOLE_SCREENSHOTS=1` also saves docs/console-watches.png.
 */
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CUSTOMERS } from "../../polar/simulator/seed.ts";
import { sqliteBackend } from "../helpers/backends.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { remediationsOf, STARTER_WATCH } from "../triggers/helpers.ts";
import { APPROVER_KEY, CONSOLE_API_KEYS, chromiumAvailable, launchChromium } from "./browser.ts";

const PATIENT = { timeout: 30_000 };
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS === "1";

describe.runIf(chromiumAvailable())("the Watches page", { timeout: 120_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  /** External ids of the customers over their credits: the seed's two and the crowd's. */
  let over: string[];

  beforeAll(async () => {
    server = await startTestServer(sqliteBackend(), { env: { API_KEYS: CONSOLE_API_KEYS } });
    const crowd = server.simulator.addCrowd({ customers: 120, over: 3, key: "console" });
    over = [
      CUSTOMERS.ada.externalId,
      CUSTOMERS.edsger.externalId,
      ...crowd.map((c) => c.external_id),
    ];
    const put = await server.call("PUT", "/v1/watches/starter-overage", {
      body: { ...STARTER_WATCH, schedule: "0 * * * *" },
      key: APPROVER_KEY,
    });
    expect(put.status).toBe(201);
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(`${server.url}/console`);
    await page.getByLabel("API key").fill(APPROVER_KEY);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("link", { name: "Watches" }).click();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const asApprover = {
    call: (method: string, path: string) => server.call(method, path, { key: APPROVER_KEY }),
  };
  const watch = () => page.getByRole("article", { name: "starter-overage" });
  const result = () => page.getByRole("region", { name: "Result for starter-overage" });

  test("each watch with its settings; never swept yet", async () => {
    await watch().waitFor(PATIENT);
    const text = await watch().textContent();
    expect(text).toContain("Starter");
    expect(text).toContain("Pro");
    expect(text).toContain("100 % of each customer's meter credits");
    expect(text).toContain("0 * * * * (UTC)");
    expect(text).toContain("Never swept.");
    expect(page.url()).toBe(`${server.url}/console/watches`);
  });

  test("Dry run lists who would be contacted and starts nothing", async () => {
    await watch().getByRole("button", { name: "Dry run" }).click();
    await result()
      .getByText(/^Dry run: 5 customers would be contacted\.$/)
      .waitFor(PATIENT);
    const rows = result().locator("tbody tr");
    expect(await rows.count()).toBe(over.length);
    const listed = await rows.locator("td:first-child").allTextContents();
    expect(listed.sort()).toEqual([...over].sort());
    expect(await result().getByRole("link", { name: "Open run" }).count()).toBe(0);
    expect(await remediationsOf(asApprover, "starter-overage")).toEqual([]);
    if (SCREENSHOTS) {
      const path = join(import.meta.dirname, "..", "..", "docs", "console-watches.png");
      await page.screenshot({ path, fullPage: true });
    }
    // The last sweep's figures follow.
    await watch().getByText("Dry run", { exact: false }).first().waitFor();
    expect(await watch().textContent()).toMatch(/Customers checked\s*12[0-9]/);
  });

  test("Sweep now starts their runs, which wait on the Approvals page", async () => {
    await watch().getByRole("button", { name: "Sweep now" }).click();
    await result()
      .getByText(/^Sweep: 5 runs started, 0 already started\.$/)
      .waitFor(PATIENT);
    expect(await result().getByRole("link", { name: "Open run" }).count()).toBe(over.length);
    const started = await remediationsOf(asApprover, "starter-overage");
    expect(started).toHaveLength(over.length);

    await page.getByRole("link", { name: "Approvals" }).click();
    for (const run of started) {
      await page.locator(`article[data-run-id="${run.run_id}"]`).waitFor(PATIENT);
    }
    expect(await page.locator("article[data-run-id]").count()).toBe(over.length);
  });
});
