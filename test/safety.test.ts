/**
 * The design allows no delete and no revoke against Polar: deletes cascade (a deleted customer
 * loses every subscription and benefit), revocation ends access at once. Nothing outside the
 * simulator may even name such a call.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { PolarGateway } from "../polar/gateway.ts";

const root = join(import.meta.dirname, "..");
const DESTRUCTIVE = [
  /\b(customers|subscriptions|benefits|benefitGrants|members)\.(delete|deleteExternal|revoke)\s*\(/,
  /\brevoke\s*:\s*true\b/,
  /method\s*:\s*["']DELETE["']/,
];

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = await Promise.all(
    entries.map(async (entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        return ["node_modules", "test", "simulator", ".git", "data"].includes(entry.name)
          ? []
          : sourceFiles(path);
      }
      return entry.name.endsWith(".ts") ? [path] : [];
    }),
  );
  return files.flat();
}

describe("no delete, no revoke", () => {
  it("no source file outside the simulator and the tests calls one", async () => {
    const files = await sourceFiles(root);
    expect(files.length).toBeGreaterThan(50);
    const offending: string[] = [];
    for (const file of files) {
      const text = await readFile(file, "utf8");
      text.split("\n").forEach((line, index) => {
        if (DESTRUCTIVE.some((pattern) => pattern.test(line))) {
          offending.push(`${relative(root, file)}:${index + 1}: ${line.trim()}`);
        }
      });
    }
    expect(offending).toEqual([]);
  });

  it("the gateway offers no such method", () => {
    const methods = Object.getOwnPropertyNames(PolarGateway.prototype);
    expect(methods).toContain("scheduleCancellation");
    expect(methods.filter((name) => /delete|revoke|remove|destroy/i.test(name))).toEqual([]);
  });
});
