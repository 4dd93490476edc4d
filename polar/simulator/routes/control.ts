/**
 * Control endpoints outside `/v1`, so a simulator in another process can be driven: the request
 * log, fault settings and reset. They take the same bearer token and are never logged or faulted.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { parseBody } from "../body.ts";
import type { SimulatorControls } from "../controls.ts";

const ratio = z.number().min(0).max(1);
const faultsBody = z.strictObject({
  rate429: ratio.optional(),
  rate503: ratio.optional(),
  retryAfterSeconds: z.int().min(0).optional(),
  latencyMs: z.number().min(0).optional(),
  rateLimit: z
    .object({ requests: z.int().min(0), windowMs: z.int().gt(0) })
    .nullable()
    .optional(),
  seed: z.int().optional(),
});

const crowdBody = z
  .strictObject({
    customers: z.int().min(1).max(100_000),
    over: z.int().min(0),
    key: z
      .string()
      .regex(/^[a-z0-9-]{1,40}$/)
      .optional(),
  })
  .refine((spec) => spec.over <= spec.customers, {
    path: ["over"],
    message: "at most `customers`",
  });

const webhooksBody = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).nullable(),
  secret: z.string().min(1),
  debounce_ms: z.int().min(0).max(3_600_000).optional(),
});

export function controlRoutes(app: FastifyInstance, controls: SimulatorControls): void {
  app.get("/__simulator/requests", async () => ({ requests: controls.requests() }));

  app.post("/__simulator/requests/clear", async () => {
    controls.clearRequests();
    return { requests: [] };
  });

  app.get("/__simulator/faults", async () => controls.faults());

  app.post("/__simulator/faults", async (request) =>
    controls.setFaults(parseBody(faultsBody, request.body)),
  );

  app.post("/__simulator/crowd", async (request) => ({
    over: controls.addCrowd(parseBody(crowdBody, request.body)),
  }));

  app.post("/__simulator/webhooks", async (request) => {
    const body = parseBody(webhooksBody, request.body);
    controls.setWebhookEndpoint(
      body.url === null
        ? null
        : { url: body.url, secret: body.secret, debounceMs: body.debounce_ms },
    );
    return { url: body.url };
  });

  app.post("/__simulator/reset", async () => {
    controls.reset();
    return { now: controls.now.toISOString() };
  });
}
