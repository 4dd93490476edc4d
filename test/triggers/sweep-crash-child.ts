/**
 * A usage sweep in its own process, for the crash test. `start` sweeps until the remediation
 * ledger has made HALT_AFTER_CLAIMS claims, reports it and hangs right there — the last claim
 * made, its run not created, the step not checkpointed — so the parent can SIGKILL it. `retry`
 * continues the sweep from its last checkpoint in a fresh process and prints the result.
 *
 * argv: mode runId inputJson; env: POLAR_URL, POLAR_TOKEN, DATA_DIR | DATABASE_URL (+ PG_SCHEMA),
 * HALT_AFTER_CLAIMS
 */
import pino from "pino";
import { getWorkflow } from "../../graphs/index.ts";
import { USAGE_SWEEP_WORKFLOW } from "../../graphs/usage-sweep/state.ts";
import { PolarGateway } from "../../polar/gateway.ts";
import { advanceRun } from "../../runs/runner.ts";
import { RunService } from "../../runs/service.ts";
import { createStorage, type WatchStore } from "../../storage/index.ts";
import { RemediationLedger } from "../../triggers/remediations.ts";

const [mode, runId, inputJson] = process.argv.slice(2);
const storage = await createStorage({
  databaseUrl: process.env.DATABASE_URL,
  dataDir: process.env.DATA_DIR ?? "unused",
  schema: process.env.PG_SCHEMA,
});
const polar = new PolarGateway({
  accessToken: process.env.POLAR_TOKEN!,
  baseUrl: process.env.POLAR_URL!,
});

const haltAfter = mode === "start" ? Number(process.env.HALT_AFTER_CLAIMS) : Infinity;
let claims = 0;
const watches: WatchStore = Object.create(storage.watches);
watches.claimRemediation = async (claim) => {
  const result = await storage.watches.claimRemediation(claim);
  claims += 1;
  if (claims >= haltAfter) {
    process.stdout.write(`${JSON.stringify({ claimed: claims })}\n`);
    await new Promise(() => {}); // wait here for SIGKILL: claimed, its run not created
  }
  return result;
};

const ledger = new RemediationLedger({ watches, runs: storage.runs, service: () => service });
// Concurrency 0: the remediations are created here, not executed (the parent counts them).
const service: RunService = new RunService({
  storage,
  deps: { polar, remediations: ledger },
  logger: pino({ level: "silent" }),
  waitMs: 1_000,
  concurrency: 0,
});

const workflow = getWorkflow(USAGE_SWEEP_WORKFLOW)!;
const graph = workflow.build(storage.checkpointer);
const start =
  mode === "start"
    ? { input: workflow.input.parse(JSON.parse(inputJson!)) }
    : { retry: true as const };
const result = await advanceRun(workflow, graph, runId!, start, {
  deps: { polar, remediations: ledger },
});
process.stdout.write(`${JSON.stringify({ result })}\n`);
await service.close(100);
await storage.close();
