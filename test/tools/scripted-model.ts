/**
 * An OpenAI-compatible chat server on loopback that plays an agent's model: each
 * `POST /v1/chat/completions` is answered by a script that sees the conversation so far (the
 * tool results included) and returns tool calls or a final message. The real `ChatOpenAI`
 * client talks to it over HTTP.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface ChatMessage {
  role: string;
  content: string | null;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  tools?: { type: string; function: { name: string; description: string; parameters: unknown } }[];
}

export type ScriptedTurn =
  | { tool_calls: { name: string; arguments: Record<string, unknown> }[] }
  | { content: string };

export interface ScriptedModel {
  /** Base URL for `ChatOpenAI`'s `configuration.baseURL`. */
  baseUrl: string;
  requests(): ChatRequest[];
  close(): Promise<void>;
}

export async function startScriptedModel(
  script: (request: ChatRequest) => ScriptedTurn,
): Promise<ScriptedModel> {
  const requests: ChatRequest[] = [];
  let sequence = 0;
  const server = createServer(async (request, response) => {
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (request.method !== "POST" || request.url !== "/v1/chat/completions") {
      send(404, { error: { message: "not found", type: "invalid_request_error" } });
      return;
    }
    const body = JSON.parse(await readBody(request)) as ChatRequest;
    requests.push(body);
    let turn: ScriptedTurn;
    try {
      turn = script(body);
    } catch (error) {
      send(500, { error: { message: String(error), type: "server_error" } });
      return;
    }
    sequence += 1;
    const message =
      "tool_calls" in turn
        ? {
            role: "assistant",
            content: null,
            tool_calls: turn.tool_calls.map((call, index) => ({
              id: `call_${sequence}_${index}`,
              type: "function",
              function: { name: call.name, arguments: JSON.stringify(call.arguments) },
            })),
          }
        : { role: "assistant", content: turn.content, refusal: null };
    send(200, {
      id: `chatcmpl-${sequence}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [
        {
          index: 0,
          message,
          finish_reason: "tool_calls" in turn ? "tool_calls" : "stop",
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests: () => [...requests],
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** The results of the tool calls so far, parsed, in order. */
export function toolResults(request: ChatRequest): unknown[] {
  return request.messages
    .filter((message) => message.role === "tool")
    .map((message) => JSON.parse(message.content ?? "null"));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
