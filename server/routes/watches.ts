/** Usage watches (§10): put, read, list, delete, and sweep now. */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { Run } from "../../runs/schemas.ts";
import { WatchBody, WatchName, type WatchService, WatchView } from "../../triggers/watches.ts";
import { problems } from "./common.ts";

const WatchParams = z.object({ name: WatchName });
const Watch = WatchView.meta({ id: "Watch" });

const SweepBody = z
  .strictObject({
    dry_run: z
      .boolean()
      .default(false)
      .describe("Report who would be contacted; start no remediation."),
    wait: z
      .boolean()
      .default(true)
      .describe("Answer when the sweep ends (bounded wait), rather than at once."),
  })
  .prefault({});

export const watchRoutes: FastifyPluginAsyncZod<{ watches: WatchService }> = async (
  app,
  { watches },
) => {
  app.get(
    "/watches",
    {
      schema: {
        operationId: "listWatches",
        tags: ["watches"],
        summary: "The tenant's usage watches",
        response: { 200: z.object({ watches: z.array(Watch) }), ...problems(400) },
      },
    },
    async (request) => ({ watches: await watches.list(request.tenant) }),
  );

  app.get(
    "/watches/:name",
    {
      schema: {
        operationId: "getWatch",
        tags: ["watches"],
        summary: "One watch, with its last and next sweep",
        params: WatchParams,
        response: { 200: Watch, ...problems(400, 404) },
      },
    },
    async (request) => watches.get(request.tenant, request.params.name),
  );

  app.put(
    "/watches/:name",
    {
      schema: {
        operationId: "putWatch",
        tags: ["watches"],
        summary: "Create or replace a watch",
        description:
          "Approver keys only. 400 when the body does not fit (a bad cron `schedule`); 422 when Polar does not know the meter or a product. `201` created, `200` replaced.",
        params: WatchParams,
        body: WatchBody,
        response: { 200: Watch, 201: Watch, ...problems(400, 403, 422) },
      },
    },
    async (request, reply) => {
      const { watch, created } = await watches.put(
        request.actor,
        request.params.name,
        request.body,
      );
      return reply.code(created ? 201 : 200).send(watch);
    },
  );

  app.delete(
    "/watches/:name",
    {
      schema: {
        operationId: "deleteWatch",
        tags: ["watches"],
        summary: "Delete a watch (nothing at Polar changes)",
        params: WatchParams,
        response: { 204: z.null().describe("Deleted"), ...problems(400, 403, 404) },
      },
    },
    async (request, reply) => {
      await watches.delete(request.actor, request.params.name);
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/watches/:name/sweep",
    {
      schema: {
        operationId: "sweepWatch",
        tags: ["watches"],
        summary: "Sweep the watch's meter now (a usage-sweep run)",
        description:
          "Approver keys only. Starts a checkpointed usage-sweep run that reads the meter's customers 100 per Polar request and starts one overage-remediation per customer over the threshold and billing period. Its output: `checked`, `over_threshold`, `started`, `already_started`, `polar_requests`.",
        params: WatchParams,
        body: SweepBody,
        response: { 201: Run, ...problems(400, 403, 404) },
      },
    },
    async (request, reply) => {
      const run = await watches.sweep(request.actor, request.params.name, request.body);
      return reply.code(201).send(run);
    },
  );
};
