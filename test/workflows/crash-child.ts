/**
 * A workflow run in its own process, for the crash test: claimed from the run queue under a
 * short lease, advanced on the fenced checkpointer with the journal of Polar writes, as the
 * service does. `start` halts at `HALT` and hangs there so the parent can SIGKILL it:
 * `before-send` (the write is journaled, not sent), `after-send` (Polar answered, the answer is
 * not journaled) or `after-record` (journaled, not checkpointed). `retry` claims the run once
 * that lease lapsed, continues it from its last checkpoint in a fresh process and prints the result.
 *
 * argv: mode workflow runId inputJson; env: POLAR_URL, POLAR_TOKEN, HALT, DATA_DIR | DATABASE_URL (+ PG_SCHEMA)
 */
import { getWorkflow } from "../../graphs/index.ts";
import { PolarGateway } from "../../polar/gateway.ts";
import { advanceRun } from "../../runs/runner.ts";
import { RunWriteJournal } from "../../runs/write-journal.ts";
import { createStorage, type PolarWriteLog } from "../../storage/index.ts";

const LEASE_MS = 3_000;
const [mode, workflowName, runId, inputJson] = process.argv.slice(2);
const halt = mode === "start" ? process.env.HALT : undefined;
const workflow = getWorkflow(workflowName!)!;
const storage = await createStorage({
  databaseUrl: process.env.DATABASE_URL,
  dataDir: process.env.DATA_DIR ?? "unused",
  schema: process.env.PG_SCHEMA,
});
const gateway = new PolarGateway({
  accessToken: process.env.POLAR_TOKEN!,
  baseUrl: process.env.POLAR_URL!,
});

function report(event: string, detail: unknown = null): Promise<never> {
  process.stdout.write(`${JSON.stringify({ halted: event, detail })}\n`);
  setInterval(() => {}, 1_000); // an empty event loop would end the process
  return new Promise(() => {}); // wait here for SIGKILL
}

const writes = new Set(["createCheckout", "scheduleCancellation"]);
/** Halts each Polar write before or after it is sent — also on the run's own view. */
function haltAtWrites(target: PolarGateway): PolarGateway {
  return new Proxy(target, {
    get(inner, property, receiver) {
      const value = Reflect.get(inner, property, receiver);
      // The run's own views (its signal, its write guard) halt too.
      if (property === "withSignal" || property === "guardingWrites") {
        return (...args: unknown[]) =>
          haltAtWrites((value as (...a: unknown[]) => PolarGateway).apply(inner, args));
      }
      if (typeof value !== "function" || !writes.has(String(property))) return value;
      return async (...args: unknown[]) => {
        if (halt === "before-send") return report("before-send");
        const result = await value.apply(inner, args);
        return report("after-send", result);
      };
    },
  });
}
const polar = halt === "before-send" || halt === "after-send" ? haltAtWrites(gateway) : gateway;

/** Halts once an answer is journaled, before the node's checkpoint. */
const journalLog: PolarWriteLog =
  halt === "after-record"
    ? {
        find: (...args) => storage.writes.find(...args),
        sending: (...args) => storage.writes.sending(...args),
        async answered(writeId, outcome) {
          await storage.writes.answered(writeId, outcome);
          if (outcome.status === "succeeded") await report("after-record", outcome.result);
        },
      }
    : storage.writes;

const owner = `crash-child-${process.pid}`;
if (mode === "start") {
  const input = workflow.input.parse(JSON.parse(inputJson!));
  await storage.runs.create({
    run_id: runId,
    tenant: "default",
    workflow: workflow.name,
    input,
    metadata: {},
  });
}
if (storage.kind === "sqlite") await storage.runs.releaseAll();
let [record] = await storage.runs.claim(owner, 1, LEASE_MS);
// PostgreSQL: the killed process's lease lapses first.
for (let tries = 0; !record && tries < 100; tries++) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  [record] = await storage.runs.claim(owner, 1, LEASE_MS);
}
if (!record) throw new Error(`could not claim run ${runId}`);
const lease = { run_id: runId!, owner, generation: record.lease_generation };
const graph = workflow.build(storage.fencedCheckpointer(LEASE_MS));
const result = await advanceRun(
  workflow,
  graph,
  runId!,
  mode === "start" ? { input: record.input } : { retry: true },
  {
    deps: { polar },
    lease,
    journal: new RunWriteJournal({
      log: journalLog,
      lease,
      actor: async () => "crash-test",
      minLeftMs: 0,
    }),
  },
);
// Settled, as the service does, so that the next test's claim does not take this run again.
await storage.runs.transition(runId!, { from: ["running"], to: result.status, lease });
process.stdout.write(`${JSON.stringify({ result })}\n`);
await storage.close();
