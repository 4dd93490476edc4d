/** Threads (LangGraph API): polar-flows runs, and threads made before their first run. */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { LangGraphService } from "../../../langgraph/service.ts";
import { CheckpointId, JsonObject } from "../../../runs/schemas.ts";
import { problems } from "../common.ts";
import {
  MetadataFilter,
  Thread,
  ThreadId,
  ThreadParams,
  ThreadState,
  ThreadStatus,
} from "./common.ts";

const ThreadCreate = z.looseObject({
  thread_id: ThreadId.nullish(),
  metadata: JsonObject.nullish(),
  if_exists: z.enum(["raise", "do_nothing"]).nullish(),
});

const ThreadSearch = z.looseObject({
  status: ThreadStatus.nullish(),
  metadata: MetadataFilter.nullish(),
  limit: z.int().min(1).max(100).default(10),
  offset: z.int().min(0).max(100_000).default(0),
  select: z.array(z.string().max(64)).max(20).nullish(),
  ids: z.undefined({ error: "filtering by ids is not served" }).optional(),
  values: z.undefined({ error: "filtering by values is not served" }).optional(),
});

/**
 * `before`: a checkpoint id, a config naming one (as the SDK's `getHistory` types it), or a
 * state's `checkpoint`.
 */
const Before = z
  .union([
    CheckpointId,
    z.looseObject({ configurable: z.looseObject({ checkpoint_id: CheckpointId }) }),
    z.looseObject({ checkpoint_id: CheckpointId }),
  ])
  .transform((before) =>
    typeof before === "string"
      ? before
      : "checkpoint_id" in before
        ? (before.checkpoint_id as string)
        : before.configurable.checkpoint_id,
  );

const HistoryPage = {
  limit: z.int().min(1).max(100).default(10),
  before: Before.nullish(),
};

export const threadRoutes: FastifyPluginAsyncZod<{ service: LangGraphService }> = async (
  app,
  { service },
) => {
  app.post(
    "/threads",
    {
      schema: {
        operationId: "langGraphCreateThread",
        tags: ["langgraph"],
        summary: "Create a thread (a run with no workflow yet)",
        description:
          "The thread becomes a polar-flows run with the same id at its first run (it appears on /v1 from then on). 409 when the id is taken, unless `if_exists: do_nothing`.",
        body: ThreadCreate,
        response: { 200: Thread, ...problems(400, 409) },
      },
    },
    async (request) =>
      service.threads.createThread(request.tenant, {
        thread_id: request.body.thread_id ?? undefined,
        metadata: request.body.metadata ?? undefined,
        if_exists: request.body.if_exists ?? undefined,
      }),
  );

  app.post(
    "/threads/search",
    {
      schema: {
        operationId: "langGraphSearchThreads",
        tags: ["langgraph"],
        summary: "Search threads, newest first",
        description:
          "Filters by `status` (`idle`, `busy`, `interrupted`, `error`) and by top-level `metadata` entries (`graph_id` and `assistant_id` match the workflow); pages by `limit` (≤ 100) and `offset`.",
        body: ThreadSearch,
        response: { 200: z.array(JsonObject), ...problems(400) },
      },
    },
    async (request) =>
      service.threads.searchThreads(request.tenant, {
        status: request.body.status ?? undefined,
        metadata: request.body.metadata ?? undefined,
        limit: request.body.limit,
        offset: request.body.offset,
        select: request.body.select ?? undefined,
      }),
  );

  app.get(
    "/threads/:thread_id",
    {
      schema: {
        operationId: "langGraphGetThread",
        tags: ["langgraph"],
        summary: "One thread, with its values and pending interrupts",
        params: ThreadParams,
        querystring: z.looseObject({}),
        response: { 200: Thread, ...problems(400, 404) },
      },
    },
    async (request) => service.threads.thread(request.tenant, request.params.thread_id),
  );

  app.get(
    "/threads/:thread_id/state",
    {
      schema: {
        operationId: "langGraphGetThreadState",
        tags: ["langgraph"],
        summary: "The thread's latest state",
        params: ThreadParams,
        querystring: z.looseObject({}),
        response: { 200: ThreadState, ...problems(400, 404) },
      },
    },
    async (request) => service.threads.state(request.tenant, request.params.thread_id),
  );

  const history = {
    tags: ["langgraph"],
    summary: "The thread's states, newest first",
    params: ThreadParams,
    response: { 200: z.array(ThreadState), ...problems(400, 404) },
  };
  app.get(
    "/threads/:thread_id/history",
    {
      schema: {
        ...history,
        operationId: "langGraphGetThreadHistory",
        querystring: z.looseObject({
          limit: z.coerce.number().int().min(1).max(100).default(10),
          before: CheckpointId.optional(),
        }),
      },
    },
    async (request) =>
      service.threads.history(request.tenant, request.params.thread_id, request.query),
  );
  app.post(
    "/threads/:thread_id/history",
    {
      schema: {
        ...history,
        operationId: "langGraphSearchThreadHistory",
        body: z.looseObject(HistoryPage),
      },
    },
    async (request) =>
      service.threads.history(request.tenant, request.params.thread_id, {
        limit: request.body.limit,
        before: request.body.before ?? undefined,
      }),
  );
};
