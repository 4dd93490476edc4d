/**
 * `npm run bench [-- --quick]`: every section measured in this one process run, so ratios
 * compare like with like. Prints a table and writes bench/results.json.
 */
import { writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { benchConsole } from "./console.ts";
import { benchDurability } from "./durability.ts";
import { benchHttp } from "./http.ts";
import { benchLangGraph } from "./langgraph.ts";
import { benchPgRestarts } from "./pg-chaos.ts";
import { benchReplicas } from "./replicas.ts";
import type { Row } from "./support.ts";
import { benchSweep } from "./sweep.ts";
import { benchUsage } from "./usage.ts";
import { benchWrites } from "./writes.ts";

const quick = process.argv.includes("--quick");
const sections: [string, (options: { quick: boolean }) => Promise<Row[]>][] = [
  ["durability", benchDurability],
  ["http", benchHttp],
  ["usage", benchUsage],
  ["writes", benchWrites],
  ["replicas", benchReplicas],
  ["pg-restarts", benchPgRestarts],
  ["sweep", benchSweep],
  ["console", benchConsole],
  ["langgraph", benchLangGraph],
];
const only = process.argv.find((arg) => arg.startsWith("--only="))?.slice("--only=".length);

const rows: Row[] = [];
for (const [name, run] of sections) {
  if (only && !only.split(",").includes(name)) continue;
  const started = performance.now();
  process.stderr.write(`bench: ${name}…`);
  rows.push(...(await run({ quick })));
  process.stderr.write(` ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}

const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const table = [
  "| section | metric | value | how |",
  "|---|---|---|---|",
  ...rows.map(
    (row) => `| ${row.section} | ${row.metric} | ${row.value} ${row.unit} | ${row.how} |`,
  ),
].join("\n");
console.log(`${table}\n\nMachine: ${machine}${quick ? " (--quick)" : ""}`);
await writeFile(
  join(import.meta.dirname, "results.json"),
  `${JSON.stringify({ date: new Date().toISOString(), quick, machine, rows }, null, 2)}\n`,
);
