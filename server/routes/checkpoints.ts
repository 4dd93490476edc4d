/** A run's checkpoints: the history, and the state at one of them. */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { CheckpointId, CheckpointState, CheckpointSummary, RunId } from "../../runs/schemas.ts";
import { problems } from "./common.ts";
import { ListCheckpointsQuery } from "./schemas.ts";

export const checkpointRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    "/runs/:run_id/checkpoints",
    {
      schema: {
        operationId: "listCheckpoints",
        tags: ["checkpoints"],
        summary: "Checkpoint history, newest first",
        description: "Page with `before` = the oldest `checkpoint_id` of the previous page.",
        params: z.object({ run_id: RunId }),
        querystring: ListCheckpointsQuery,
        response: {
          200: z.object({ checkpoints: z.array(CheckpointSummary) }),
          ...problems(400, 404),
        },
      },
    },
    async (request) => ({
      checkpoints: await app.runService.checkpoints(
        request.tenant,
        request.params.run_id,
        request.query,
      ),
    }),
  );

  app.get(
    "/runs/:run_id/checkpoints/:checkpoint_id",
    {
      schema: {
        operationId: "getCheckpoint",
        tags: ["checkpoints"],
        summary: "The state at one checkpoint",
        params: z.object({ run_id: RunId, checkpoint_id: CheckpointId }),
        response: { 200: CheckpointState, ...problems(400, 404) },
      },
    },
    async (request) =>
      app.runService.checkpoint(
        request.tenant,
        request.params.run_id,
        request.params.checkpoint_id,
      ),
  );
};
