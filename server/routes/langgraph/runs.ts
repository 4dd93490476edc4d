/**
 * Runs on a thread (LangGraph API): each one starts the thread's run, answers the interrupt it
 * waits for, or retries it. A busy thread answers 409 (`multitask_strategy: "reject"`).
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { LangGraphService } from "../../../langgraph/service.ts";
import { JsonObject } from "../../../runs/schemas.ts";
import { problems } from "../common.ts";
import {
  LangGraphRun,
  RunCreate,
  RunParams,
  runLocation,
  runRequest,
  streamAnswer,
  streamReply,
  ThreadParams,
  waitWithKeepAlive,
} from "./common.ts";

export interface LangGraphRunRoutesOptions {
  service: LangGraphService;
  /** Newlines during a long wait; comments on an idle stream. */
  keepAliveMs: number;
}

const CREATE_DESCRIPTION =
  "The thread's first run takes `input` (`{ input: <the workflow's input> }`); a thread waiting for a person takes `command: { resume }` (approver keys only: 403 `approver-required` for an agent key); a thread that failed with a retryable error is retried by a run with neither. 409 while the thread runs, and on a thread that has ended.";

const runAnswers = <Ok extends object>(ok: Ok) => ({ ...ok, ...problems(400, 403, 404, 409) });

export const runRoutes: FastifyPluginAsyncZod<LangGraphRunRoutesOptions> = async (
  app,
  { service, keepAliveMs },
) => {
  app.post(
    "/threads/:thread_id/runs",
    {
      schema: {
        operationId: "langGraphCreateRun",
        tags: ["langgraph"],
        summary: "Create a run on the thread, in the background",
        description: CREATE_DESCRIPTION,
        params: ThreadParams,
        body: RunCreate,
        response: runAnswers({ 200: LangGraphRun }),
      },
    },
    async (request, reply) => {
      const { run } = await service.createRun(
        request.actor,
        request.params.thread_id,
        runRequest(request.body),
      );
      reply.header("content-location", runLocation(run.thread_id, run.run_id));
      return run;
    },
  );

  app.post(
    "/threads/:thread_id/runs/wait",
    {
      schema: {
        operationId: "langGraphWaitRun",
        tags: ["langgraph"],
        summary: "Create a run and answer the thread's values once it pauses or ends",
        description: `${CREATE_DESCRIPTION} The answer is the thread's values, with \`__interrupt__: [{ id, value }]\` while it waits for a person, or \`__error__\` when it failed; newlines keep the connection alive meanwhile.`,
        params: ThreadParams,
        body: RunCreate,
        response: runAnswers({ 200: streamAnswer("application/json", "The thread's values") }),
      },
    },
    async (request, reply) => {
      const { tenant } = request;
      const { run } = await service.createRun(
        request.actor,
        request.params.thread_id,
        runRequest(request.body),
      );
      reply.header("content-location", runLocation(run.thread_id, run.run_id));
      await waitWithKeepAlive(
        reply,
        keepAliveMs,
        (gone) => service.waitForThread(tenant, run.thread_id, gone),
        (error) => request.log.error({ err: error }, "LangGraph wait failed"),
      );
    },
  );

  app.post(
    "/threads/:thread_id/runs/stream",
    {
      schema: {
        operationId: "langGraphStreamRun",
        tags: ["langgraph"],
        summary: "Create a run and stream it (server-sent events)",
        description: `${CREATE_DESCRIPTION} Events: \`metadata\` first, then \`updates\` and \`values\` (the stream modes served; others send nothing), \`error\` when the run fails. The stream ends when the thread pauses or ends.`,
        params: ThreadParams,
        body: RunCreate,
        response: runAnswers({ 200: streamAnswer("text/event-stream", "An event stream") }),
      },
    },
    async (request, reply) => {
      const { tenant } = request;
      const created = await service.createRun(
        request.actor,
        request.params.thread_id,
        runRequest(request.body),
      );
      reply.header("content-location", runLocation(created.run.thread_id, created.run.run_id));
      const asked = request.body.stream_mode ?? ["values"];
      const modes = new Set(Array.isArray(asked) ? asked : [asked]);
      const stream = streamReply(reply, "text/event-stream; charset=utf-8");
      try {
        await service.streamRun(tenant, created, modes, {
          write: stream.write,
          stop: stream.gone,
          keepAliveMs,
        });
      } catch (error) {
        request.log.warn({ err: error }, "LangGraph stream ended by an error");
      } finally {
        stream.end();
      }
    },
  );

  app.get(
    "/threads/:thread_id/runs",
    {
      schema: {
        operationId: "langGraphListRuns",
        tags: ["langgraph"],
        summary: "The thread's runs, newest first",
        params: ThreadParams,
        querystring: z.looseObject({
          limit: z.coerce.number().int().min(1).max(100).default(10),
        }),
        response: { 200: z.array(LangGraphRun), ...problems(400, 404) },
      },
    },
    async (request) =>
      service.listRuns(request.tenant, request.params.thread_id, request.query.limit),
  );

  app.get(
    "/threads/:thread_id/runs/:run_id",
    {
      schema: {
        operationId: "langGraphGetRun",
        tags: ["langgraph"],
        summary: "One run of the thread",
        params: RunParams,
        response: { 200: LangGraphRun, ...problems(400, 404) },
      },
    },
    async (request) =>
      (await service.run(request.tenant, request.params.thread_id, request.params.run_id)).view,
  );

  app.get(
    "/threads/:thread_id/runs/:run_id/join",
    {
      schema: {
        operationId: "langGraphJoinRun",
        tags: ["langgraph"],
        summary: "Wait for the run, then answer the thread's values",
        params: RunParams,
        response: { 200: JsonObject, ...problems(400, 404) },
      },
    },
    async (request, reply) => {
      const { thread_id: threadId, run_id: runId } = request.params;
      // The response closes before it is sent only when the client went away.
      const gone = new AbortController();
      reply.raw.on("close", () => gone.abort());
      return service.joinRun(request.tenant, threadId, runId, gone.signal);
    },
  );

  app.post(
    "/threads/:thread_id/runs/:run_id/cancel",
    {
      schema: {
        operationId: "langGraphCancelRun",
        tags: ["langgraph"],
        summary: "Cancel the thread's run",
        description:
          "Only a run in progress (the thread is busy; 409 otherwise); the thread's run is cancelled with it. Answers 202, or 204 with `wait=true`.",
        params: RunParams,
        querystring: z.looseObject({
          wait: z
            .enum(["true", "false", "1", "0"])
            .transform((wait) => wait === "true" || wait === "1")
            .optional(),
        }),
        response: {
          202: z.null().describe("Cancelled."),
          204: z.null().describe("Cancelled."),
          ...problems(400, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const { thread_id: threadId, run_id: runId } = request.params;
      await service.cancelRun(request.tenant, threadId, runId);
      return reply.code(request.query.wait ? 204 : 202).send(null);
    },
  );
};
