/**
 * Runs workflows in-process the way the service does (`advanceRun`, durable checkpointer),
 * against the simulator over HTTP through the real gateway.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { getWorkflow, type Workflow } from "../../graphs/index.ts";
import type { PolarGateway } from "../../polar/gateway.ts";
import { advanceRun, checkResume, type RunStart, type StepResult } from "../../runs/runner.ts";
import type { Storage } from "../../storage/index.ts";
import type { TestBackend } from "../helpers/backends.ts";
import { gatewayFor, startTestPolar, type TestSimulator } from "../helpers/polar.ts";

export interface WorkflowHarness {
  start(workflow: string, input: unknown): Promise<{ runId: string; result: StepResult }>;
  resume(runId: string, answer: unknown): Promise<StepResult>;
  retry(runId: string): Promise<StepResult>;
  graph(workflow: string): ReturnType<Workflow["build"]>;
}

export function workflowHarness(storage: Storage, polar: () => PolarGateway): WorkflowHarness {
  const graphs = new Map<string, ReturnType<Workflow["build"]>>();
  const runs = new Map<string, { workflow: Workflow; last: StepResult }>();
  const graphOf = (workflow: Workflow) => {
    let graph = graphs.get(workflow.name);
    if (!graph) {
      graph = workflow.build(storage.checkpointer);
      graphs.set(workflow.name, graph);
    }
    return graph;
  };
  const advance = async (runId: string, start: RunStart) => {
    const run = runs.get(runId)!;
    run.last = await advanceRun(run.workflow, graphOf(run.workflow), runId, start, {
      deps: { polar: polar() },
    });
    return run.last;
  };
  return {
    async start(name, input) {
      const workflow = getWorkflow(name)!;
      const runId = randomUUID();
      runs.set(runId, { workflow, last: undefined as never });
      const result = await advance(runId, { input: workflow.input.parse(input) });
      return { runId, result };
    },
    async resume(runId, answer) {
      const last = runs.get(runId)!.last;
      const resume = checkResume(last.status === "interrupted" ? last.interrupt : null, answer);
      return advance(runId, { resume });
    },
    retry: (runId) => advance(runId, { retry: true }),
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
 * seed before each test) and a fresh gateway. Fields are filled in by the hooks.
 */
export function useWorkflowTests(backend: TestBackend): WorkflowTestContext {
  const context = {} as WorkflowTestContext;
  let storage: Storage;
  beforeAll(async () => {
    storage = await backend.open();
    ({ simulator: context.simulator } = await startTestPolar());
    context.runs = workflowHarness(storage, () => context.polar);
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
