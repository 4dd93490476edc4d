/** A run's events as server-sent events, replayable with `Last-Event-ID`. */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { RunId } from "../../runs/schemas.ts";
import { problems } from "./common.ts";

export interface EventRoutesOptions {
  /** Comment lines that keep idle connections open. */
  keepAliveMs?: number;
}

export const eventRoutes: FastifyPluginAsyncZod<EventRoutesOptions> = async (app, options) => {
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
        headers: z.looseObject({
          "last-event-id": z
            .string()
            .regex(/^\d{1,15}$/, { error: "must be an event id" })
            .optional(),
        }),
        response: {
          200: {
            description: "An event stream",
            content: { "text/event-stream": { schema: z.string() } },
          },
          ...problems(400, 404),
        },
      },
    },
    async (request, reply) => {
      const { tenant } = request;
      const runId = request.params.run_id;
      await app.runService.get(tenant, runId);
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
      try {
        await app.runService.streamEvents(tenant, runId, {
          after: Number(request.headers["last-event-id"] ?? 0),
          write: (chunk) => {
            if (!response.destroyed) response.write(chunk);
          },
          stop: clientGone.signal,
          keepAliveMs: options.keepAliveMs ?? 15_000,
        });
      } catch (error) {
        request.log.warn({ err: error, run_id: runId }, "event stream ended by an error");
      } finally {
        if (!response.destroyed) response.end();
      }
    },
  );
};
