/**
 * An OpenAI-compatible chat server on loopback for tests: the real `ChatOpenAI` client talks
 * to it over HTTP. It answers `POST /v1/chat/completions` from a script — structured output
 * in whichever form the request asked for (a `json_schema` response format, or a forced tool
 * call), raw text, or an HTTP error — and logs every request with the tokens it "used".
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface ChatCall {
  /** The structured output's name: the JSON schema's or the forced tool's; null for plain chat. */
  name: string | null;
  mode: "json_schema" | "tool" | "text";
  body: Record<string, any>;
  authorization: string | undefined;
}

export type FakeReply =
  /** Structured output, delivered as the request asked (JSON content or a tool call). */
  | { output: unknown; delayMs?: number }
  /** Assistant content as is (e.g. malformed JSON). */
  | { content: string; delayMs?: number }
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
    const queue = replies[call.name ?? ""] ?? [];
    const next = queue.length > 1 ? queue.shift()! : queue[0];
    const reply = typeof next === "function" ? next(call) : next;
    const promptTokens = Math.ceil(JSON.stringify(body.messages ?? []).length / 4);
    if (!reply) {
      log.push({
        name: call.name,
        mode: call.mode,
        status: 500,
        prompt_tokens: 0,
        completion_tokens: 0,
      });
      send(500, { error: { message: `no scripted reply for ${call.name}`, type: "server_error" } });
      return;
    }
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if ("status" in reply) {
      log.push({
        name: call.name,
        mode: call.mode,
        status: reply.status,
        prompt_tokens: 0,
        completion_tokens: 0,
      });
      send(
        reply.status,
        reply.body ?? { error: { message: `scripted ${reply.status}`, type: "server_error" } },
        reply.headers,
      );
      return;
    }
    const content = "content" in reply ? reply.content : JSON.stringify(reply.output);
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
      call.mode === "tool"
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
          finish_reason: call.mode === "tool" ? "tool_calls" : "stop",
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
  const forced = body.tool_choice?.function?.name ?? body.tools?.[0]?.function?.name;
  if (forced) return { name: forced, mode: "tool", body, authorization };
  return { name: null, mode: "text", body, authorization };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
