/**
 * Polar's webhooks (§10): `POST /v1/webhooks/polar` — authenticated by Polar's signature, not
 * a bearer key, so it sits outside the auth scope but inside the body limit and the rate limit —
 * and `GET /v1/webhooks/deliveries`, under bearer keys like the rest of `/v1`.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { WebhookLog } from "../../storage/index.ts";
import type { WebhookReceiver } from "../../triggers/webhooks.ts";
import { ProblemError } from "../problem.ts";
import { addProblemAnswers, problems } from "./common.ts";

const Receipt = z
  .object({
    webhook_id: z.string(),
    type: z.string(),
    duplicate: z.boolean().describe("A repeated `webhook-id`: acknowledged, nothing done again."),
    caused: z.unknown().describe("What the event did: per watch, a remediation started or not."),
  })
  .meta({ id: "WebhookReceipt" });

const Delivery = z
  .object({
    webhook_id: z.string(),
    type: z.string(),
    received_at: z.string(),
    processed_at: z.string().nullable(),
    caused: z.unknown(),
  })
  .meta({ id: "WebhookDelivery" });

export const polarWebhookRoutes: FastifyPluginAsyncZod<{
  receiver: WebhookReceiver | null;
}> = async (app, { receiver }) => {
  // The signature covers the exact bytes Polar sent: keep the body as text.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (_request, body, done) => done(null, body));
  app.addHook("onRoute", (route) => addProblemAnswers(route, 429));
  app.addHook("onRequest", async (request) => {
    request.tenant = receiver?.tenant ?? "default";
  });
  app.addHook("onRequest", app.callerRateLimit);

  app.post(
    "/webhooks/polar",
    {
      schema: {
        operationId: "receivePolarWebhook",
        tags: ["webhooks"],
        summary: "Polar's webhook endpoint (Standard Webhooks signature, no bearer key)",
        description:
          "Verified with `POLAR_WEBHOOK_SECRET`; 403 with nothing stored for a bad or missing signature or a timestamp older than 5 minutes. A `customer.state_changed` is checked against every enabled watch of `POLAR_WEBHOOK_TENANT`; other types are stored and acknowledged. 404 when no secret is configured.",
        security: [],
        body: z.string().describe("The event as Polar sent it (JSON)."),
        response: { 202: Receipt, ...problems(403, 404) },
      },
    },
    async (request, reply) => {
      if (!receiver) throw new ProblemError(404, "No Polar webhook secret is configured.");
      const headers = Object.fromEntries(
        Object.entries(request.headers).filter(
          (entry): entry is [string, string] => typeof entry[1] === "string",
        ),
      );
      return reply.code(202).send(await receiver.receive(request.body, headers));
    },
  );
};

export const webhookDeliveryRoutes: FastifyPluginAsyncZod<{ deliveries: WebhookLog }> = async (
  app,
  { deliveries },
) => {
  app.get(
    "/webhooks/deliveries",
    {
      schema: {
        operationId: "listWebhookDeliveries",
        tags: ["webhooks"],
        summary: "Polar's webhook deliveries, newest first, and what each caused",
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(100).default(20),
          cursor: z
            .string()
            .regex(/^\d{1,18}$/, { error: "not a cursor this service issued" })
            .optional(),
        }),
        response: {
          200: z.object({ deliveries: z.array(Delivery), next_cursor: z.string().nullable() }),
          ...problems(400),
        },
      },
    },
    async (request) => {
      const page = await deliveries.list(request.tenant, request.query.limit, request.query.cursor);
      return {
        deliveries: page.deliveries.map(({ tenant: _tenant, ...delivery }) => delivery),
        next_cursor: page.next_cursor,
      };
    },
  );
};
