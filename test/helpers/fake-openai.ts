/**
 * The OpenAI-compatible chat server of the tests, on loopback: the real `ChatOpenAI` client talks
 * to it over HTTP. It answers `POST /v1/chat/completions` from a script — structured output
 * in whichever form the request asked for (a `json_schema` response format, or a forced tool
 * call), raw text, an agent's tool calls, or an HTTP error — and logs every request with the
 * tokens it "used".
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface ChatCall {
  /**
   * The structured output's name: the JSON schema's or the forced tool's; null for plain chat
   * (an agent's turn included), which the script answers under `PLAIN_CHAT`.
   */
  name: string | null;
  mode: "json_schema" | "tool" | "text";
  body: Record<string, any>;
  authorization: string | undefined;
}

export type FakeReply =
  /** Structured output, delivered as the request asked (JSON content or a tool call). */
  | { output: unknown; delayMs?: number }
  /** Assistant content as is (e.g. malformed JSON, an agent's final answer). */
  | { content: string; delayMs?: number }
  /** An agent's turn: the tools it calls, with their arguments. */
  | { tool_calls: { name: string; arguments: Record<string, unknown> }[]; delayMs?: number }
  /** Never answers: holds the request until the client gives up (logged with status 499). */
  | { hang: true }
  | { status: number; headers?: Record<string, string>; body?: unknown; delayMs?: number };

export interface LoggedCall {
  name: string | null;
  mode: ChatCall["mode"];
  status: number;
  prompt_tokens: number;
  completion_tokens: number;
}

/** A reply, or how to make one from the request (e.g. a draft built from the prompt's facts). */
export type Scripted = FakeReply | ((call: ChatCall) => FakeReply);

/** The script's key for requests without structured output (plain chat, agents). */
export const PLAIN_CHAT = "";

export interface FakeOpenAI {
  /** Base URL for the client (`OPENAI_BASE_URL`), ending in `/v1`. */
  baseUrl: string;
  /** Answers by output name; a list is used in order, its last entry repeating. */
  script(replies: Record<string, Scripted | Scripted[]>): void;
  calls(): LoggedCall[];
  requests(): ChatCall[];
  usage(): { calls: number; prompt_tokens: number; completion_tokens: number };
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  let replies: Record<string, Scripted[]> = {};
  let log: LoggedCall[] = [];
  let requests: ChatCall[] = [];
  let sequence = 0;

  const server = createServer(async (request, response) => {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { "content-type": "application/json", ...headers });
      response.end(body === undefined ? "" : JSON.stringify(body));
    };
    if (request.method !== "POST" || request.url !== "/v1/chat/completions") {
      send(404, { error: { message: "not found", type: "invalid_request_error" } });
      return;
    }
    const body = JSON.parse(await readBody(request)) as Record<string, any>;
    const call = describe(body, request.headers.authorization);
    requests.push(call);
    const queue = replies[call.name ?? PLAIN_CHAT] ?? [];
    const next = queue.length > 1 ? queue.shift()! : queue[0];
    let reply: FakeReply | undefined;
    try {
      reply = typeof next === "function" ? next(call) : next;
    } catch (error) {
      reply = { status: 500, body: { error: { message: String(error), type: "server_error" } } };
    }
    const promptTokens = Math.ceil(JSON.stringify(body.messages ?? []).length / 4);
    const failed = (status: number) =>
      log.push({
        name: call.name,
        mode: call.mode,
        status,
        prompt_tokens: 0,
        completion_tokens: 0,
      });
    if (!reply) {
      failed(500);
      send(500, { error: { message: `no scripted reply for ${call.name}`, type: "server_error" } });
      return;
    }
    if ("hang" in reply) {
      request.socket.once("close", () => failed(499));
      return;
    }
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if ("status" in reply) {
      failed(reply.status);
      send(
        reply.status,
        reply.body ?? { error: { message: `scripted ${reply.status}`, type: "server_error" } },
        reply.headers,
      );
      return;
    }
    const content =
      "content" in reply
        ? reply.content
        : "tool_calls" in reply
          ? JSON.stringify(reply.tool_calls)
          : JSON.stringify(reply.output);
    const completionTokens = Math.ceil(content.length / 4);
    log.push({
      name: call.name,
      mode: call.mode,
      status: 200,
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
    });
    sequence += 1;
    const message =
      "tool_calls" in reply
        ? {
            role: "assistant",
            content: null,
            tool_calls: reply.tool_calls.map((toolCall, index) => ({
              id: `call_${sequence}_${index}`,
              type: "function",
              function: { name: toolCall.name, arguments: JSON.stringify(toolCall.arguments) },
            })),
          }
        : call.mode === "tool"
          ? {
              role: "assistant",
              content: null,
              tool_calls: [
                {
                  id: `call_${sequence}`,
                  type: "function",
                  function: { name: call.name, arguments: content },
                },
              ],
            }
          : { role: "assistant", content, refusal: null };
    send(200, {
      id: `chatcmpl-${sequence}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [
        {
          index: 0,
          message,
          finish_reason: "tool_calls" in message ? "tool_calls" : "stop",
          logprobs: null,
        },
      ],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      },
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    script(next) {
      replies = Object.fromEntries(
        Object.entries(next).map(([name, reply]) => [
          name,
          Array.isArray(reply) ? [...reply] : [reply],
        ]),
      );
    },
    calls: () => [...log],
    requests: () => [...requests],
    usage: () => ({
      calls: log.length,
      prompt_tokens: log.reduce((sum, call) => sum + call.prompt_tokens, 0),
      completion_tokens: log.reduce((sum, call) => sum + call.completion_tokens, 0),
    }),
    reset() {
      replies = {};
      log = [];
      requests = [];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function describe(body: Record<string, any>, authorization: string | undefined): ChatCall {
  const format = body.response_format;
  if (format?.type === "json_schema")
    return { name: format.json_schema?.name ?? null, mode: "json_schema", body, authorization };
  // An agent offers its tools and lets the model choose: that is plain chat, not a forced call.
  const forced = body.tool_choice?.function?.name;
  if (forced) return { name: forced, mode: "tool", body, authorization };
  return { name: null, mode: "text", body, authorization };
}

/** The results of an agent's tool calls so far, parsed, in order. */
export function toolResults(call: ChatCall): unknown[] {
  return (call.body.messages as { role: string; content: string | null }[])
    .filter((message) => message.role === "tool")
    .map((message) => JSON.parse(message.content ?? "null"));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
