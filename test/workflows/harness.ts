/**
 * Runs workflows in-process the way the service does: each run is a record in the store's run
 * registry, every step is claimed from the run queue under a lease and advanced with
 * `advanceRun` on the fenced checkpointer (which writes only under that lease), and the result
 * settles the run. Polar is the simulator over HTTP through the real gateway.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { getWorkflow, type Workflow } from "../../graphs/index.ts";
import type { WorkflowDeps } from "../../nodes/context.ts";
import type { PolarGateway } from "../../polar/gateway.ts";
import { advanceRun, checkResume, type RunStart, type StepResult } from "../../runs/runner.ts";
import { RunWriteJournal, writeActor } from "../../runs/write-journal.ts";
import type { RunStatus, Storage } from "../../storage/index.ts";
import type { TestBackend } from "../helpers/backends.ts";
import { gatewayFor, startTestPolar, type TestSimulator } from "../helpers/polar.ts";

/** Longer than any test step: the harness never renews a lease. */
const LEASE_MS = 120_000;

export interface WorkflowHarness {
  start(workflow: string, input: unknown): Promise<{ runId: string; result: StepResult }>;
  resume(runId: string, answer: unknown): Promise<StepResult>;
  retry(runId: string): Promise<StepResult>;
  graph(workflow: string): ReturnType<Workflow["build"]>;
}

export function workflowHarness(storage: Storage, deps: () => WorkflowDeps): WorkflowHarness {
  const owner = `workflow-tests-${randomUUID()}`;
  const checkpointer = storage.fencedCheckpointer(LEASE_MS);
  const graphs = new Map<string, ReturnType<Workflow["build"]>>();
  const runs = new Map<string, { workflow: Workflow; last: StepResult }>();
  const graphOf = (workflow: Workflow) => {
    let graph = graphs.get(workflow.name);
    if (!graph) {
      graph = workflow.build(checkpointer);
      graphs.set(workflow.name, graph);
    }
    return graph;
  };

  /** Queues the run, claims it as the service's executor would, advances it and settles it. */
  const advance = async (runId: string, from: RunStatus | null, start: RunStart) => {
    const run = runs.get(runId)!;
    if (from !== null) {
      const queued = await storage.runs.transition(runId, { from: [from], to: "queued" });
      if (!queued) throw new Error(`run ${runId} is not ${from}`);
    }
    // Every run of the harness settles before the next step: the queue holds this one only.
    const claimed = await storage.runs.claim(owner, 1, LEASE_MS);
    if (claimed.length !== 1 || claimed[0]!.run_id !== runId) {
      throw new Error(`claimed ${claimed.map((record) => record.run_id)} instead of ${runId}`);
    }
    const lease = { run_id: runId, owner, generation: claimed[0]!.lease_generation };
    run.last = await advanceRun(run.workflow, graphOf(run.workflow), runId, start, {
      deps: deps(),
      lease,
      journal: new RunWriteJournal({
        log: storage.writes,
        lease,
        actor: () => writeActor(claimed[0]!, storage.answers),
        minLeftMs: 0,
      }),
    });
    const set = run.last.checkpoint_id === null ? {} : { checkpoint_id: run.last.checkpoint_id };
    await storage.runs.transition(runId, { from: ["running"], to: run.last.status, set, lease });
    return run.last;
  };

  return {
    async start(name, input) {
      const workflow = getWorkflow(name)!;
      const parsed = workflow.input.parse(input);
      const { run } = await storage.runs.create({
        tenant: "default",
        workflow: name,
        input: parsed,
        metadata: {},
      });
      runs.set(run.run_id, { workflow, last: undefined as never });
      const result = await advance(run.run_id, null, { input: parsed });
      return { runId: run.run_id, result };
    },
    async resume(runId, answer) {
      const last = runs.get(runId)!.last;
      const resume = checkResume(last.status === "interrupted" ? last.interrupt : null, answer);
      return advance(runId, "interrupted", { resume });
    },
    retry: (runId) => advance(runId, "failed", { retry: true }),
    graph: (name) => graphOf(getWorkflow(name)!),
  };
}

export interface WorkflowTestContext {
  simulator: TestSimulator;
  /** A fresh gateway before each test; a test may swap in one with other options. */
  polar: PolarGateway;
  runs: WorkflowHarness;
}

/**
 * The hooks every workflow test file needs: the backend's store, the simulator (back to its
 * seed before each test) and a fresh gateway. Fields are filled in by the hooks; `deps` adds
 * to the gateway what the workflows get (a model, a clock).
 */
export function useWorkflowTests(
  backend: TestBackend,
  deps: () => Omit<WorkflowDeps, "polar"> = () => ({}),
): WorkflowTestContext {
  const context = {} as WorkflowTestContext;
  let storage: Storage;
  beforeAll(async () => {
    storage = await backend.open();
    ({ simulator: context.simulator } = await startTestPolar());
    context.runs = workflowHarness(storage, () => ({ ...deps(), polar: context.polar }));
  });
  afterAll(async () => {
    await context.simulator.close();
    await storage.close();
  });
  beforeEach(() => {
    context.simulator.reset();
    context.simulator.clearRequests();
    context.polar = gatewayFor(context.simulator);
  });
  return context;
}
