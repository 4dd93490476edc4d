// Runs dependency-cruiser over the sources with .dependency-cruiser.cjs and fails on any
// violation — or when it read next to no modules (a TypeScript it cannot load cruises nothing
// and would otherwise pass silently).
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { cruise, type IReporterOutput } from "dependency-cruiser";

const SOURCES = [
  "graphs",
  "nodes",
  "runs",
  "server",
  "polar",
  "storage",
  "llm",
  "tools",
  "triggers",
  "console",
  "lib",
  "bench",
];
const MIN_MODULES = 100;

const config = createRequire(import.meta.url)("../.dependency-cruiser.cjs");
const { output }: IReporterOutput = await cruise(
  SOURCES.filter((dir) => existsSync(dir)),
  {
    ...config.options,
    validate: true,
    ruleSet: { forbidden: config.forbidden },
    outputType: "json",
  },
);
const { summary } = JSON.parse(String(output));
for (const v of summary.violations) {
  const via = v.cycle?.length
    ? ` (cycle: ${v.cycle.map((step: { name: string }) => step.name).join(" → ")})`
    : "";
  console.error(`${v.rule.name}: ${v.from} → ${v.to}${via}`);
}
if (summary.totalCruised < MIN_MODULES) {
  console.error(
    `dependency-cruiser read ${summary.totalCruised} modules, expected at least ${MIN_MODULES}: can it load TypeScript?`,
  );
  process.exit(1);
}
console.log(
  `dependency-cruiser: ${summary.totalCruised} modules, ${summary.violations.length} violations`,
);
process.exit(summary.violations.length === 0 ? 0 : 1);
