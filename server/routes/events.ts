/** Run events as server-sent events, replayable with `Last-Event-ID`: one run's, or a tenant's. */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { RunId } from "../../runs/schemas.ts";
import type { EventStreamOptions } from "../../runs/service.ts";
import { problems } from "./common.ts";

export interface EventRoutesOptions {
  /** Comment lines that keep idle connections open. */
  keepAliveMs?: number;
}

const LastEventIdHeaders = z.looseObject({
  "last-event-id": z
    .string()
    .regex(/^\d{1,15}$/, { error: "must be an event id" })
    .optional(),
});

const eventStreamResponse = {
  description: "An event stream",
  content: { "text/event-stream": { schema: z.string() } },
};

/** Takes the reply over and feeds `stream`'s writes to it until the stream or the client ends. */
async function serveEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  options: { after: number; keepAliveMs: number },
  stream: (options: EventStreamOptions) => Promise<void>,
): Promise<void> {
  const clientGone = new AbortController();
  reply.hijack();
  const response = reply.raw;
  response.on("close", () => clientGone.abort());
  // A write racing the client's disconnect must not become an unhandled error.
  response.on("error", () => clientGone.abort());
  // Headers set before the hijack (the caller's RateLimit fields) go out with the stream.
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) response.setHeader(name, value);
  }
  response.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  // Open the stream now, not at its first event: a client learns at once that it is connected.
  response.flushHeaders();
  try {
    await stream({
      after: options.after,
      write: (chunk) => {
        if (!response.destroyed) response.write(chunk);
      },
      stop: clientGone.signal,
      keepAliveMs: options.keepAliveMs,
    });
  } catch (error) {
    request.log.warn({ err: error }, "event stream ended by an error");
  } finally {
    if (!response.destroyed) response.end();
  }
}

export const eventRoutes: FastifyPluginAsyncZod<EventRoutesOptions> = async (app, options) => {
  const keepAliveMs = options.keepAliveMs ?? 15_000;

  app.get(
    "/runs/:run_id/events",
    {
      schema: {
        operationId: "streamRunEvents",
        tags: ["runs"],
        summary: "The run's events (server-sent events)",
        description:
          "`status` (data: the run), `node` (data: `{ node, update }`), `interrupt` (data: `{ interrupt }`) and `answer` (data: who answered an interrupt, when, the note and the payload) events, each with an `id`. Send `Last-Event-ID` to get only what came after it. The stream ends when the run pauses for a person or ends.",
        params: z.object({ run_id: RunId }),
        headers: LastEventIdHeaders,
        response: { 200: eventStreamResponse, ...problems(400, 404) },
      },
    },
    async (request, reply) => {
      const { tenant } = request;
      const runId = request.params.run_id;
      await app.runService.get(tenant, runId);
      const after = Number(request.headers["last-event-id"] ?? 0);
      await serveEventStream(request, reply, { after, keepAliveMs }, (stream) =>
        app.runService.streamEvents(tenant, runId, stream),
      );
    },
  );

  app.get(
    "/events",
    {
      schema: {
        operationId: "streamTenantEvents",
        tags: ["runs"],
        summary: "Every run's events of the tenant (server-sent events)",
        description:
          "The `status`, `interrupt` and `answer` events of all the tenant's runs (node updates left out), each with an `id` and with the `run_id` in its data: a run becoming `interrupted` (a `status` event whose data is the run, its `interrupt` included), an answer given, a run moving on or ending. Without `Last-Event-ID` the stream starts now; with it, it replays what came after. It stays open until the client leaves; keep-alive comments while nothing happens.",
        headers: LastEventIdHeaders,
        response: { 200: eventStreamResponse, ...problems(400) },
      },
    },
    async (request, reply) => {
      const { tenant } = request;
      const header = request.headers["last-event-id"];
      // The cursor is taken before the stream answers: a client that reads the runs once the
      // stream is open misses nothing in between.
      const after = header === undefined ? await app.runService.lastEventId() : Number(header);
      await serveEventStream(request, reply, { after, keepAliveMs }, (stream) =>
        app.runService.streamTenantEvents(tenant, stream),
      );
    },
  );
};
