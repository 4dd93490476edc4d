/** What can run, and starting a run of it. */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { Run, WorkflowView } from "../../runs/schemas.ts";
import { problems } from "./common.ts";
import { IdempotencyHeaders, StartRunBody } from "./schemas.ts";

export const workflowRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    "/workflows",
    {
      schema: {
        operationId: "listWorkflows",
        tags: ["workflows"],
        summary: "List the workflows",
        response: { 200: z.object({ workflows: z.array(WorkflowView) }) },
      },
    },
    async () => ({ workflows: await app.runService.listWorkflows() }),
  );

  app.post(
    "/workflows/:name/runs",
    {
      schema: {
        operationId: "startRun",
        tags: ["workflows"],
        summary: "Start a run",
        description:
          "Validates `input` against the workflow's schema, creates the run and executes it. With `wait: true` (the default) it answers when the run pauses for a person or ends, or after a bounded wait with the run still `running`. Only an approver key may start a run with `require_approval: false` (403 `approver-required`).",
        params: z.object({ name: z.string().min(1).max(100) }),
        headers: IdempotencyHeaders,
        body: StartRunBody,
        response: {
          201: Run.describe("The new run."),
          200: Run.describe("The run an earlier request with the same Idempotency-Key started."),
          ...problems(400, 403, 404, 409, 422),
        },
      },
    },
    async (request, reply) => {
      const { run, created } = await app.runService.start(
        request.tenant,
        request.params.name,
        request.body,
        { idempotencyKey: request.headers["idempotency-key"], actor: request.actor },
      );
      return reply.code(created ? 201 : 200).send(run);
    },
  );
};
