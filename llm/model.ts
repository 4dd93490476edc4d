/**
 * The chat model polar-flows reads free text and drafts messages with: `ChatOpenAI` against
 * OpenAI or any OpenAI-compatible server (vLLM, Ollama, LiteLLM). No key and no base URL → no
 * model, and every node uses its deterministic template. The model reaches nodes through
 * `config.configurable.model`, never through state.
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { ChatOpenAI } from "@langchain/openai";
import { defaultModelPolicy } from "./structured.ts";

export interface ModelSettings {
  apiKey: string | null;
  baseUrl: string | null;
  model: string | null;
}

export const OPENAI_BASE_URL = "https://api.openai.com/v1";
export const DEFAULT_OPENAI_MODEL = "gpt-4o-mini";
/** Sent when a local server needs no key (the OpenAI client insists on one). */
const NO_KEY = "not-needed";

/**
 * The model for these settings (`config.openai`), or null when none is configured.
 * Retries are off in the client: `askModel` (llm/structured.ts) runs its own short, bounded
 * retries and per-attempt timeout, because the client's backoff starts at a full second.
 */
export function createChatModel(settings: ModelSettings): BaseChatModel | null {
  if (!settings.apiKey && !settings.baseUrl) return null;
  if (settings.baseUrl && !settings.model) {
    throw new Error(
      "OPENAI_MODEL must be set with OPENAI_BASE_URL: name the model that server serves",
    );
  }
  return new ChatOpenAI({
    model: settings.model ?? DEFAULT_OPENAI_MODEL,
    apiKey: settings.apiKey ?? NO_KEY,
    // Always explicit, so no environment variable (OPENAI_BASE_URL, LANGSMITH_GATEWAY) reroutes it.
    configuration: { baseURL: settings.baseUrl ?? OPENAI_BASE_URL },
    maxRetries: 0,
    timeout: defaultModelPolicy.attemptTimeoutMs,
  });
}
