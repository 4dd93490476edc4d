import { ChatOpenAI } from "@langchain/openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createChatModel, DEFAULT_OPENAI_MODEL, OPENAI_BASE_URL } from "../../llm/model.ts";
import { askModel, type ModelPolicy } from "../../llm/structured.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../helpers/fake-openai.ts";
import { modelFor, until } from "./helpers.ts";

describe("createChatModel", () => {
  it("gives no model without a key and a base URL", () => {
    expect(createChatModel({ apiKey: null, baseUrl: null, model: "gpt-4o" })).toBeNull();
  });

  it("points at OpenAI with a key alone, with the default model", () => {
    const model = createChatModel({ apiKey: "sk-test", baseUrl: null, model: null }) as ChatOpenAI;
    expect(model).toBeInstanceOf(ChatOpenAI);
    expect(model.model).toBe(DEFAULT_OPENAI_MODEL);
    expect(model.clientConfig.baseURL).toBe(OPENAI_BASE_URL);
  });

  it("points at a local server without a key, and insists on a model name for it", () => {
    const model = createChatModel({
      apiKey: null,
      baseUrl: "http://127.0.0.1:11434/v1",
      model: "llama3.1",
    }) as ChatOpenAI;
    expect(model.clientConfig.baseURL).toBe("http://127.0.0.1:11434/v1");
    expect(model.model).toBe("llama3.1");
    expect(() =>
      createChatModel({ apiKey: null, baseUrl: "http://127.0.0.1:11434/v1", model: null }),
    ).toThrow(/OPENAI_MODEL must be set with OPENAI_BASE_URL/);
  });
});

describe("askModel", () => {
  let fake: FakeOpenAI;
  const question = {
    name: "probe",
    schema: z.strictObject({ answer: z.string() }),
    system: "s",
    user: "u",
  };
  const fast: ModelPolicy = {
    maxAttempts: 2,
    attemptTimeoutMs: 200,
    retryDelayMs: 10,
    maxRetryAfterMs: 100,
  };

  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it("gives up on a slow model after the attempt timeout, without a retry", async () => {
    // The server never answers: askModel returns only because it gave up.
    fake.script({ probe: { hang: true } });
    const answer = await askModel(modelFor(fake), question, { policy: fast });
    expect(answer).toEqual({ ok: false, reason: "model did not answer within 0.2 s", attempts: 1 });
  });

  it("does not retry what a retry cannot fix (401, 400)", async () => {
    for (const status of [401, 400]) {
      fake.reset();
      fake.script({ probe: { status } });
      const answer = await askModel(modelFor(fake), question, { policy: fast });
      expect(answer).toEqual({
        ok: false,
        reason: `model server refused the request (${status})`,
        attempts: 1,
      });
    }
  });

  it("never repeats the provider's error text (it may quote a masked key)", async () => {
    fake.script({
      probe: {
        status: 401,
        body: { error: { message: "Incorrect API key provided: sk-test-***6789" } },
      },
    });
    const answer = await askModel(modelFor(fake), question, { policy: fast });
    expect(JSON.stringify(answer)).not.toContain("sk-");
  });

  it("stops, rather than falling back, when the run is cancelled", async () => {
    fake.script({ probe: { hang: true } });
    const controller = new AbortController();
    const asked = askModel(modelFor(fake), question, { signal: controller.signal });
    await until(() => fake.requests()[0]);
    controller.abort();
    await expect(asked).rejects.toMatchObject({ name: "AbortError" });
    await until(() => fake.calls()[0]);
    expect(fake.calls().map((call) => call.status)).toEqual([499]);
  });
});
