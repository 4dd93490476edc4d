/** The audit trail: who approved or rejected what, and every Polar write (DESIGN §11). */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { RunId } from "../../runs/schemas.ts";
import { problems } from "./common.ts";

const NDJSON = "application/x-ndjson";

const AuditEntry = z
  .object({
    id: z.string(),
    at: z.iso.datetime().describe("When the answer was given, or the write sent."),
    tenant: z.string(),
    run_id: z.string(),
    workflow: z.string(),
    kind: z.enum(["answer", "polar_write"]),
    action: z
      .string()
      .describe(
        "`approved`, `rejected` or `answered`; or `checkout.create`, `subscription.cancel_at_period_end`, `events.ingest`, `benefit.create`.",
      ),
    actor: z
      .string()
      .describe(
        "Answers: the key's name. Writes: who approved the run, or started it with approval off (`watch:<name>` for a usage watch).",
      ),
    detail: z
      .record(z.string(), z.unknown())
      .describe(
        "Answers: `{ interrupt_id, node, note?, resume }`. Writes: `{ status: succeeded | failed | unknown, polar_object_id?, customer_id?, request }`.",
      ),
  })
  .meta({ id: "AuditEntry" });

const AuditQuery = z.object({
  run_id: RunId.optional(),
  customer_id: z.string().min(1).max(200).optional().describe("Entries of runs about it."),
  kind: z.enum(["answer", "polar_write"]).optional(),
  since: z.iso.datetime().optional().describe("Inclusive."),
  until: z.iso.datetime().optional().describe("Exclusive."),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().min(1).max(1000).optional(),
});

export const auditRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    "/audit",
    {
      schema: {
        operationId: "listAuditEntries",
        tags: ["audit"],
        summary: "The audit trail, oldest first",
        description: `People's answers and Polar writes of the caller's tenant. Page with \`cursor\` = the previous page's \`next_cursor\`. With \`Accept: ${NDJSON}\` every matching entry is streamed, one JSON object a line (\`limit\` and \`cursor\` are ignored). Entries are never pruned.`,
        querystring: AuditQuery,
        response: {
          200: {
            description: "A page of entries, or (NDJSON) every entry",
            content: {
              "application/json": {
                schema: z.object({
                  entries: z.array(AuditEntry),
                  next_cursor: z.string().nullable(),
                }),
              },
              [NDJSON]: { schema: AuditEntry },
            },
          },
          ...problems(400),
        },
      },
    },
    async (request, reply) => {
      const { limit, cursor, ...filters } = request.query;
      const query = { tenant: request.tenant, ...filters };
      if (!request.headers.accept?.includes(NDJSON)) {
        return app.runService.audit({ ...query, limit, ...(cursor ? { cursor } : {}) });
      }
      reply.hijack();
      const response = reply.raw;
      let gone = false;
      response.on("close", () => {
        gone = true;
      });
      response.on("error", () => {
        gone = true;
      });
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (value !== undefined) response.setHeader(name, value);
      }
      response.writeHead(200, { "content-type": `${NDJSON}; charset=utf-8` });
      try {
        for await (const entry of app.runService.auditExport(query)) {
          if (gone) break;
          // Backpressure: memory stays constant however many entries there are.
          if (!response.write(`${JSON.stringify(entry)}\n`)) {
            await new Promise((resolve) => {
              response.once("drain", resolve);
              response.once("close", resolve);
            });
          }
        }
      } catch (error) {
        request.log.warn({ err: error }, "audit export ended by an error");
        response.destroy();
        return;
      }
      if (!response.destroyed) response.end();
    },
  );
};
