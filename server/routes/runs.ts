/** Runs: list, inspect, answer an interrupt (or retry), cancel. */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { Run, RunId } from "../../runs/schemas.ts";
import { problems } from "./common.ts";
import { ListRunsQuery, ResumeBody, RunPage } from "./schemas.ts";

const RunParams = z.object({ run_id: RunId });

export const runRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    "/runs",
    {
      schema: {
        operationId: "listRuns",
        tags: ["runs"],
        summary: "List runs, newest first",
        querystring: ListRunsQuery,
        response: { 200: RunPage, ...problems(400) },
      },
    },
    async (request) => app.runService.list(request.tenant, request.query),
  );

  app.get(
    "/runs/:run_id",
    {
      schema: {
        operationId: "getRun",
        tags: ["runs"],
        summary: "One run",
        params: RunParams,
        response: { 200: Run, ...problems(400, 404) },
      },
    },
    async (request) => app.runService.get(request.tenant, request.params.run_id),
  );

  app.post(
    "/runs/:run_id/resume",
    {
      schema: {
        operationId: "resumeRun",
        tags: ["runs"],
        summary: "Answer the pending interrupt, or retry a failed run",
        description:
          "With `resume`: the answer to the interrupt the run waits for (400 when it does not fit its `resume_schema`; the run stays interrupted). Without `resume` (`{}`): retries a run that failed with a retryable error, from its last checkpoint. 409 when the run is not waiting for that. Answering needs an approver key (403 `approver-required` for an agent key); any key may retry.",
        params: RunParams,
        body: ResumeBody,
        response: { 200: Run, ...problems(400, 403, 404, 409) },
      },
    },
    async (request) => app.runService.resume(request.actor, request.params.run_id, request.body),
  );

  app.post(
    "/runs/:run_id/cancel",
    {
      schema: {
        operationId: "cancelRun",
        tags: ["runs"],
        summary: "Cancel a run that has not finished",
        description:
          "Works on queued, running, interrupted and retryable-failed runs (an in-flight step is aborted); 409 on completed, cancelled and other failed runs.",
        params: RunParams,
        response: { 200: Run, ...problems(400, 404, 409) },
      },
    },
    async (request) => app.runService.cancel(request.tenant, request.params.run_id),
  );
};
