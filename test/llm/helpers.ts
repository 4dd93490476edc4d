/**
 * What the LLM tests share: the real `ChatOpenAI` pointed at the fake OpenAI server, workflows
 * run by the workflow harness (on SQLite, the way the service runs them), and a record of every
 * host the process fetched: nothing may leave loopback.
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { afterAll, beforeAll, beforeEach, expect, vi } from "vitest";
import { createChatModel } from "../../llm/model.ts";
import { sqliteBackend } from "../helpers/backends.ts";
import { type ChatCall, type FakeOpenAI, startFakeOpenAI } from "../helpers/fake-openai.ts";
import { useWorkflowTests, type WorkflowTestContext } from "../workflows/harness.ts";

/** A model name outside gpt-3/gpt-4-*: `withStructuredOutput` uses a JSON-schema response format. */
export function modelFor(fake: FakeOpenAI, model = "fake-model"): BaseChatModel {
  return createChatModel({ apiKey: "sk-test-0123456789", baseUrl: fake.baseUrl, model })!;
}

/** The facts the node put in its prompt (the user message is JSON). */
export function promptFacts(call: ChatCall): Record<string, any> {
  return JSON.parse(call.body.messages.at(-1).content);
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

export interface LlmTestContext extends WorkflowTestContext {
  fake: FakeOpenAI;
  /** The model the workflows get: a fresh client of the fake before each test; null: rules. */
  model: BaseChatModel | null;
}

/**
 * The hooks every LLM test file needs: the workflow tests' store, simulator and gateway, plus
 * the fake OpenAI server (its script cleared before each test) and the outbound-host record.
 */
export function useLlmTests(): LlmTestContext {
  let network: ReturnType<typeof recordOutboundHosts>;
  // Before anything else: the clients keep the `fetch` they were built with.
  beforeAll(() => {
    network = recordOutboundHosts();
  });
  const context = useWorkflowTests(sqliteBackend(), () => ({
    model: context.model,
  })) as LlmTestContext;
  beforeAll(async () => {
    context.fake = await startFakeOpenAI();
  });
  afterAll(async () => {
    await context.fake.close();
    network.restore();
    expect(network.hosts()).toContain("127.0.0.1");
    expect(network.beyondLoopback()).toEqual([]);
  });
  beforeEach(() => {
    context.fake.reset();
    context.model = modelFor(context.fake);
  });
  return context;
}

/**
 * Stops the clock `setTimeout` runs on (vitest's fake timers), so that a pause ends only when the
 * test advances the clock, while real I/O goes on; and records the pauses the model policy asks
 * for between attempts (`llm/structured.ts`), apart from every other timer (time-outs).
 */
export function stoppedClock() {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  const fakeSetTimeout = globalThis.setTimeout;
  const pauses: number[] = [];
  globalThis.setTimeout = ((callback: () => void, ms?: number) => {
    if (new Error().stack?.includes("/llm/structured.ts:")) pauses.push(ms ?? 0);
    return fakeSetTimeout(callback, ms);
  }) as typeof setTimeout;
  return {
    /** The model policy's pauses so far, in milliseconds. */
    pauses: () => [...pauses],
    /** Back to real timers (the recording wrapper goes with the fake ones). */
    restore: () => vi.useRealTimers(),
  };
}

/** Polls `check` on the event loop (not on timers, which may be stopped) until it answers. */
export async function until<T>(check: () => T | undefined): Promise<T> {
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
