/**
 * `POST /v1/requests`: free text about a customer → the right workflow, started as a normal
 * run. The model (or the rules) reads the text; products are resolved through Polar; what
 * cannot be settled is a 422 listing what is missing, and nothing starts.
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { interpretRequest } from "../../graphs/route-request.ts";
import type { PolarForTenants } from "../../polar/gateway.ts";
import { CustomerRef } from "../../polar/schemas.ts";
import { Metadata, Run } from "../../runs/schemas.ts";
import { ProblemError } from "../problem.ts";
import { problems } from "./common.ts";
import { IdempotencyHeaders } from "./schemas.ts";

export interface RequestRoutesOptions {
  polar: PolarForTenants;
  model: BaseChatModel | null;
}

const RequestBody = z.strictObject({
  customer: CustomerRef.optional().describe(
    "The customer the text is about; when left out, a reference written in the text is used.",
  ),
  request: z.string().trim().min(1).max(5_000).describe("What was asked, in plain words."),
  metadata: Metadata.default({}),
  wait: z.boolean().default(true),
});

export const requestRoutes: FastifyPluginAsyncZod<RequestRoutesOptions> = async (app, options) => {
  app.post(
    "/requests",
    {
      schema: {
        operationId: "startRequest",
        tags: ["workflows"],
        summary: "Start the right workflow for a free-text request",
        description:
          "Reads the text (with the configured model, or rules without one), picks the workflow and fills its input; products named in the text are resolved through Polar, never invented. The run starts like any other, with the interpretation kept in its `metadata.interpretation`. 422 lists what the text leaves open.",
        headers: IdempotencyHeaders,
        body: RequestBody,
        response: { 201: Run, 200: Run, ...problems(400, 409, 422, 503) },
      },
    },
    async (request, reply) => {
      const { customer, metadata, wait } = request.body;
      const interpret = async () => {
        const routed = await interpretRequest(
          { request: request.body.request, ...(customer ? { customer } : {}) },
          { polar: options.polar.forTenant(request.tenant), model: options.model },
        );
        if ("missing" in routed) {
          throw new ProblemError(
            "request_unclear",
            "The request does not say enough to start a workflow.",
            routed.missing,
          );
        }
        const start = {
          input: routed.input,
          wait,
          metadata: { ...metadata, interpretation: routed.interpretation },
        };
        return { workflow: routed.workflow, request: start };
      };
      // The fingerprint is of what the caller sent (not `wait`), never of the model's reading.
      const { wait: _, ...sent } = request.body;
      const { run, created } = await app.runService.startInterpreted(
        request.tenant,
        sent,
        wait,
        interpret,
        { idempotencyKey: request.headers["idempotency-key"], actor: request.actor },
      );
      return reply.code(created ? 201 : 200).send(run);
    },
  );
};
