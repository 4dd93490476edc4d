/**
 * What the `/langgraph` routes share: LangGraph's shapes as zod schemas (loose: the SDK sends
 * and reads more fields than polar-flows acts on), and answering as a stream.
 */
import type { FastifyReply } from "fastify";
import { z } from "zod";
import { LANGGRAPH_RUN_STATUSES, THREAD_STATUSES } from "../../../langgraph/views.ts";
import { JsonObject } from "../../../runs/schemas.ts";

export const ThreadId = z.uuid({ error: "must be a thread id (a UUID)" });
export const LangGraphRunId = z.uuid({ error: "must be a run id (a UUID)" });
export const AssistantId = z
  .string()
  .regex(/^[a-z0-9-]{1,100}$/, { error: "must be an assistant id (a workflow's name)" });

export const ThreadParams = z.object({ thread_id: ThreadId });
export const RunParams = z.object({ thread_id: ThreadId, run_id: LangGraphRunId });
export const AssistantParams = z.object({ assistant_id: AssistantId });

/** Metadata a search matches, top-level entries only. */
export const MetadataFilter = z.record(
  z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: "must be a plain metadata key" }),
  z.unknown(),
);

export const ThreadStatus = z.enum(THREAD_STATUSES);

const Interrupts = z.array(z.looseObject({ id: z.string(), value: JsonObject }));

export const Thread = z
  .looseObject({
    thread_id: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    metadata: JsonObject,
    status: ThreadStatus,
    values: JsonObject,
    interrupts: z.record(z.string(), Interrupts),
  })
  .describe("A thread: a polar-flows run (`thread_id` = `run_id`), or one with no run yet.");

const CheckpointRef = z
  .looseObject({ thread_id: z.string(), checkpoint_ns: z.string(), checkpoint_id: z.string() })
  .nullable();

export const ThreadState = z.looseObject({
  values: JsonObject,
  next: z.array(z.string()),
  tasks: z.array(z.looseObject({ id: z.string(), name: z.string(), interrupts: Interrupts })),
  metadata: JsonObject,
  created_at: z.string().nullable(),
  checkpoint: CheckpointRef,
  parent_checkpoint: CheckpointRef,
});

export const LangGraphRun = z
  .looseObject({
    run_id: z.string(),
    thread_id: z.string(),
    assistant_id: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    status: z.enum(LANGGRAPH_RUN_STATUSES),
    metadata: JsonObject,
    multitask_strategy: z.literal("reject"),
  })
  .describe("One start, answer or retry of the thread's run.");

export const RunCreate = z.looseObject({
  assistant_id: AssistantId,
  input: z
    .unknown()
    .optional()
    .describe("`{ input: <the workflow's input> }` (the graph's input); the first run only."),
  command: z
    .looseObject({
      resume: z
        .unknown()
        .optional()
        .describe(
          "polar-flows' resume object, or agent-inbox's `[{ type: accept | ignore | response | edit, args }]`.",
        ),
      goto: z.unknown().optional(),
      update: z.unknown().optional(),
    })
    .nullish(),
  metadata: JsonObject.nullish(),
  multitask_strategy: z.enum(["reject", "rollback", "interrupt", "enqueue"]).nullish(),
  stream_mode: z.union([z.string(), z.array(z.string())]).nullish(),
});
export type RunCreate = z.infer<typeof RunCreate>;

/** The body as the service takes it. */
export function runRequest(body: RunCreate) {
  return {
    assistant_id: body.assistant_id,
    input: body.input,
    command: body.command ?? undefined,
    metadata: body.metadata ?? undefined,
    multitask_strategy: body.multitask_strategy ?? undefined,
  };
}

/** Where a run-creating answer says the new LangGraph run is. */
export function runLocation(threadId: string, runId: string): string {
  return `/langgraph/threads/${threadId}/runs/${runId}`;
}

/**
 * Takes the response over for a long answer: headers set so far (RateLimit, Content-Location)
 * go out with it. `gone` aborts when the client goes away.
 */
export function streamReply(reply: FastifyReply, contentType: string) {
  const gone = new AbortController();
  reply.hijack();
  const response = reply.raw;
  response.on("close", () => gone.abort());
  response.on("error", () => gone.abort());
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) response.setHeader(name, value);
  }
  response.writeHead(200, {
    "content-type": contentType,
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
  });
  return {
    gone: gone.signal,
    write: (chunk: string) => {
      if (!response.destroyed) response.write(chunk);
    },
    end: () => {
      if (!response.destroyed) response.end();
    },
  };
}

/**
 * Answers `answer()` as JSON, sending a newline every `keepAliveMs` until it is ready (as
 * LangGraph's server does: a long wait must not look like a dead connection).
 */
export async function waitWithKeepAlive(
  reply: FastifyReply,
  keepAliveMs: number,
  answer: (gone: AbortSignal) => Promise<unknown>,
  onError: (error: unknown) => void,
): Promise<void> {
  const stream = streamReply(reply, "application/json");
  const timer = setInterval(() => stream.write("\n"), keepAliveMs);
  try {
    stream.write(JSON.stringify(await answer(stream.gone)));
  } catch (error) {
    onError(error);
    stream.write(JSON.stringify({ __error__: { error: "internal", message: "the wait failed" } }));
  } finally {
    clearInterval(timer);
    stream.end();
  }
}

/** A 200 answer sent as a stream, for the OpenAPI document. */
export function streamAnswer(contentType: string, description: string) {
  return { description, content: { [contentType]: { schema: z.string() } } };
}
