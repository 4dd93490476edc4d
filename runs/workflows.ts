/**
 * The workflows a run can be of: each one's graph compiled once on the fenced checkpointer, and
 * the listing shown to callers (input schema, nodes, a Mermaid drawing).
 */
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { z } from "zod";
import { getWorkflow, type Workflow, workflows } from "../graphs/index.ts";
import { UnknownWorkflowError } from "./errors.ts";
import type { WorkflowView } from "./schemas.ts";

export type CompiledWorkflow = ReturnType<Workflow["build"]>;

export class WorkflowGraphs {
  readonly #graphs = new Map<string, CompiledWorkflow>();
  #views: WorkflowView[] | undefined;

  /** Executions write through `checkpointer` (the fenced one); reads see the same store. */
  constructor(checkpointer: BaseCheckpointSaver) {
    for (const workflow of Object.values(workflows)) {
      this.#graphs.set(workflow.name, workflow.build(checkpointer));
    }
  }

  /**
   * The workflow a caller may start. Internal ones (a tool write) only when polar-flows itself
   * starts the run (`internal`).
   */
  startable(name: string, internal: boolean): Workflow {
    const workflow = getWorkflow(name);
    if (!workflow || (workflow.internal && !internal)) throw new UnknownWorkflowError(name);
    return workflow;
  }

  graph(name: string): CompiledWorkflow {
    const graph = this.#graphs.get(name);
    if (!graph) throw new UnknownWorkflowError(name);
    return graph;
  }

  /** The public workflows, as callers see them (worked out once). */
  async views(): Promise<WorkflowView[]> {
    this.#views ??= await Promise.all(
      Object.values(workflows)
        .filter((workflow) => !workflow.internal)
        .map(async (workflow) => {
          const drawing = await this.graph(workflow.name).getGraphAsync();
          return {
            name: workflow.name,
            description: workflow.description,
            input_schema: z.toJSONSchema(workflow.input, { io: "input", unrepresentable: "any" }),
            nodes: Object.keys(drawing.nodes).filter((node) => !node.startsWith("__")),
            mermaid: drawing.drawMermaid(),
          };
        }),
    );
    return this.#views;
  }
}
