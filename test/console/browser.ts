/**
 * Headless Chromium for the console tests: Debian's `chromium` package, driven by
 * playwright-core (no browser download). Without it the tests are skipped with a message — but
 * never in CI, which installs it (`.ci/run`).
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Whether to run: chromium is there; in CI its absence is a failure, not a skip. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI) throw new Error(`CI: ${CHROMIUM} is missing (apt-get install chromium)`);
  console.warn(`console tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM });
}

export const APPROVER_KEY = "console-approver-key-4f1c2b";
export const AGENT_KEY = "console-agent-key-9d3e7a01";
export const CONSOLE_API_KEYS = `acme:ops:approver=${APPROVER_KEY},acme:bot:agent=${AGENT_KEY}`;
