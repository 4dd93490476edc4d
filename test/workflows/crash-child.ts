/**
 * A workflow run in its own process, for the crash test. `start` runs until right after the
 * Polar write, reports it, and hangs there — before the node's checkpoint is saved — so the
 * parent can SIGKILL it. `retry` continues the run from its last checkpoint in a fresh process
 * and prints the result.
 *
 * argv: mode workflow runId inputJson; env: POLAR_URL, POLAR_TOKEN, DATA_DIR | DATABASE_URL (+ PG_SCHEMA)
 */
import { getWorkflow } from "../../graphs/index.ts";
import { PolarGateway } from "../../polar/gateway.ts";
import { advanceRun } from "../../runs/runner.ts";
import { createStorage } from "../../storage/index.ts";

const [mode, workflowName, runId, inputJson] = process.argv.slice(2);
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

const writes = new Set(["findOrCreateCheckout", "scheduleCancellation"]);
/** Reports each Polar write, then hangs before its checkpoint — also on the run's own view. */
function haltAfterWrites(target: PolarGateway): PolarGateway {
  return new Proxy(target, {
    get(inner, property, receiver) {
      const value = Reflect.get(inner, property, receiver);
      if (property === "withSignal") {
        return (signal: AbortSignal | undefined) => haltAfterWrites(inner.withSignal(signal));
      }
      if (typeof value !== "function" || !writes.has(String(property))) return value;
      return async (...args: unknown[]) => {
        const result = await value.apply(inner, args);
        process.stdout.write(`${JSON.stringify({ wrote: String(property), result })}\n`);
        await new Promise(() => {}); // wait here for SIGKILL: the write is done, its checkpoint is not
      };
    },
  });
}
const polar = mode === "start" ? haltAfterWrites(gateway) : gateway;

const graph = workflow.build(storage.checkpointer);
const start =
  mode === "start"
    ? { input: workflow.input.parse(JSON.parse(inputJson!)) }
    : { retry: true as const };
const result = await advanceRun(workflow, graph, runId!, start, { deps: { polar } });
process.stdout.write(`${JSON.stringify({ result })}\n`);
await storage.close();
