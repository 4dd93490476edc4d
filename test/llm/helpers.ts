/**
 * What the LLM tests share: the real `ChatOpenAI` pointed at the fake server, workflows run
 * in-process with an in-memory checkpointer, and a record of every host the process fetched.
 */
import { randomUUID } from "node:crypto";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { MemorySaver } from "@langchain/langgraph";
import { getWorkflow } from "../../graphs/index.ts";
import { createChatModel } from "../../llm/model.ts";
import type { WorkflowDeps } from "../../nodes/context.ts";
import { advanceRun, checkResume, type StepResult } from "../../runs/runner.ts";
import type { ChatCall, FakeOpenAI } from "./fake-openai.ts";

/** A model name outside gpt-3/gpt-4-*: `withStructuredOutput` uses a JSON-schema response format. */
export function modelFor(fake: FakeOpenAI, model = "fake-model"): BaseChatModel {
  return createChatModel({ apiKey: "sk-test-0123456789", baseUrl: fake.baseUrl, model })!;
}

/** The facts the node put in its prompt (the user message is JSON). */
export function promptFacts(call: ChatCall): Record<string, any> {
  return JSON.parse(call.body.messages.at(-1).content);
}

export interface LoggedStep {
  node: string;
  at: number;
}

/** Runs one workflow the way the service does (`advanceRun`), with the given deps. */
export function workflowRunner(name: string, deps: () => WorkflowDeps) {
  const workflow = getWorkflow(name)!;
  const graph = workflow.build(new MemorySaver());
  const last = new Map<string, StepResult>();
  const steps: LoggedStep[] = [];
  const advance = async (runId: string, start: Parameters<typeof advanceRun>[3]) => {
    const result = await advanceRun(workflow, graph, runId, start, {
      deps: deps(),
      onNodeUpdate: (node) => steps.push({ node, at: performance.now() }),
    });
    last.set(runId, result);
    return result;
  };
  return {
    graph,
    steps,
    async start(input: unknown) {
      const runId = randomUUID();
      steps.push({ node: "__start__", at: performance.now() });
      return { runId, result: await advance(runId, { input: workflow.input.parse(input) }) };
    },
    async resume(runId: string, answer: unknown) {
      const previous = last.get(runId);
      const resume = checkResume(
        previous?.status === "interrupted" ? previous.interrupt : null,
        answer,
      );
      return advance(runId, { resume });
    },
  };
}

/** How long a node took: from the previous checkpointed update to its own. */
export function nodeDuration(steps: LoggedStep[], node: string): number {
  const index = steps.findLastIndex((step) => step.node === node);
  if (index < 1) throw new Error(`no update from ${node}`);
  return steps[index]!.at - steps[index - 1]!.at;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/**
 * Records the host of every `fetch` the process makes (the OpenAI and Polar clients both use
 * it). Install before creating models: the OpenAI client keeps the `fetch` it was built with.
 */
export function recordOutboundHosts() {
  const original = globalThis.fetch;
  const hosts = new Set<string>();
  globalThis.fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    hosts.add(new URL(url).hostname);
    return original(input, init);
  };
  return {
    beyondLoopback: () => [...hosts].filter((host) => !LOOPBACK.has(host)),
    hosts: () => [...hosts],
    restore() {
      globalThis.fetch = original;
    },
  };
}
