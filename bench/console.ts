/**
 * The console as a person meets it, in headless Chromium (Debian's package, driven by
 * playwright-core): the approvals page's weight loaded cold, the time from a run's interrupt to
 * its signed notice at a local receiver, and the time from clicking Approve to seeing the run
 * completed on the page. Skipped (no rows) without Chromium.
 */
import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { PolarGateway } from "../polar/gateway.ts";
import { CUSTOMERS } from "../polar/simulator/seed.ts";
import { buildApp } from "../server/app.ts";
import { loadConfig } from "../server/config.ts";
import { createStorage } from "../storage/index.ts";
import { percentile, type Row, round, startSimulatorProcess } from "./support.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const APPROVER_KEY = "bench-console-approver-key";
const NOTIFY_SECRET = `whsec_${Buffer.from("bench console notices secret").toString("base64")}`;
/** Scenario 1 as a caller sends it: usage grouped by endpoint, so the approval has its chart. */
const OVERAGE_INPUT = {
  customer: { external_id: CUSTOMERS.ada.externalId },
  current_product: { name: "Starter" },
  upgrade_product: { name: "Pro" },
  usage: { event_name: "api_request", group_by: "endpoint" },
  limit: 10000,
};

/** A receiver for notices: when each run's notice arrived (ms since the epoch). */
async function startReceiver() {
  const arrivals = new Map<string, number>();
  const waiting = new Map<string, () => void>();
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      const at = Date.now();
      const runId = JSON.parse(body).data.run_id as string;
      if (!arrivals.has(runId)) arrivals.set(runId, at);
      waiting.get(runId)?.();
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}/notices`,
    arrival: (runId: string) =>
      arrivals.has(runId)
        ? Promise.resolve(arrivals.get(runId)!)
        : new Promise<number>((resolve) => waiting.set(runId, () => resolve(arrivals.get(runId)!))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

export async function benchConsole(options: { quick: boolean }): Promise<Row[]> {
  if (!existsSync(CHROMIUM)) {
    process.stderr.write(` (skipped: no Chromium at ${CHROMIUM})`);
    return [];
  }
  const repeats = options.quick ? 3 : 10;
  const simulator = await startSimulatorProcess();
  const receiver = await startReceiver();
  const storage = await createStorage({ dataDir: await mkdtemp(join(tmpdir(), "pf-console-")) });
  const config = loadConfig({
    LOG_LEVEL: "silent",
    API_KEYS: `bench:ops:approver=${APPROVER_KEY}`,
    NOTIFY_URL: receiver.url,
    NOTIFY_SECRET,
    API_RATE_LIMIT: "100000",
  });
  const polar = new PolarGateway({ accessToken: simulator.token, baseUrl: simulator.url });
  const app = await buildApp({ config, storage, polar, model: null });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  let browser: Browser | undefined;
  try {
    const startRun = async () => {
      const response = await fetch(`${url}/v1/workflows/overage-remediation/runs`, {
        method: "POST",
        headers: { authorization: `Bearer ${APPROVER_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ input: OVERAGE_INPUT }),
      });
      const run = (await response.json()) as { run_id: string; status: string; updated_at: string };
      if (run.status !== "interrupted") throw new Error(`run is ${run.status}, not interrupted`);
      return run;
    };

    // Interrupt → notice: from the moment the run's interrupt is stored to the POST arriving.
    const noticeMs: number[] = [];
    const runIds: string[] = [];
    for (let index = 0; index < repeats; index++) {
      const run = await startRun();
      runIds.push(run.run_id);
      noticeMs.push((await receiver.arrival(run.run_id)) - Date.parse(run.updated_at));
    }

    browser = await chromium.launch({ executablePath: CHROMIUM });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${url}/console`);
    await page.getByLabel("API key").fill(APPROVER_KEY);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("article[data-run-id]").first().waitFor();

    // Page weight, cold: a fresh page with an empty cache, bytes on the wire as Chromium counts them.
    const cold = await context.newPage();
    const cdp = await context.newCDPSession(cold);
    await cdp.send("Network.enable");
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    let bytes = 0;
    let requests = 0;
    cdp.on("Network.loadingFinished", (event) => {
      bytes += event.encodedDataLength;
      requests += 1;
    });
    await cold.goto(`${url}/console/approvals`);
    // The page keeps its event stream open, so the network never goes idle: wait for every
    // card's chart, then a moment for stragglers (the open stream is not counted).
    await cold
      .locator("article[data-run-id] svg.chart")
      .nth(runIds.length - 1)
      .waitFor();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await cold.close();

    // Approve → completed, as seen on the page: the click to the card showing the outcome.
    const approveMs: number[] = [];
    for (const runId of runIds) {
      const card = page.locator(`article[data-run-id="${runId}"]`);
      await card.waitFor();
      const started = performance.now();
      await card.getByRole("button", { name: "Approve", exact: true }).click();
      await card.locator(".card-status .status-completed").waitFor({ timeout: 30_000 });
      approveMs.push(performance.now() - started);
    }

    const how = `${repeats} overage runs, SQLite, Chromium ${browser.version()}`;
    return [
      {
        section: "console",
        metric: "approvals page weight, cold",
        value: round(bytes / 1024, 1),
        unit: "KB",
        how: `${repeats} approvals waiting; bytes transferred (${requests} requests, uncompressed, cache disabled) until every card's chart shows`,
      },
      {
        section: "console",
        metric: "interrupt → notice, median",
        value: round(median(noticeMs), 1),
        unit: "ms",
        how: `${how}: the run's interrupted updated_at to the signed POST at a local NOTIFY_URL receiver`,
      },
      {
        section: "console",
        metric: "Approve click → run completed, median",
        value: round(median(approveMs), 1),
        unit: "ms",
        how: `${how}: click to the card showing completed (resume, event stream, checkout created at the simulator)`,
      },
    ];
  } finally {
    await browser?.close();
    await app.close();
    await storage.close();
    await receiver.close();
    await simulator.close();
  }
}
