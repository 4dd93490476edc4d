/**
 * The run service, decorated onto the instance for the routes; runs left behind by a crash or
 * a restart continue when the server is ready, and in-flight steps are drained on close.
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { RunService } from "../runs/service.ts";

declare module "fastify" {
  interface FastifyInstance {
    runService: RunService;
  }
}

export interface RunsPluginOptions {
  service: RunService;
  /** How long in-flight steps get to reach a checkpoint at shutdown. */
  shutdownGraceMs: number;
}

async function runs(app: FastifyInstance, options: RunsPluginOptions) {
  app.decorate("runService", options.service);
  app.addHook("onReady", async () => {
    const recovered = await options.service.recover();
    if (recovered > 0) app.log.info({ runs: recovered }, "continuing runs left queued or running");
  });
  // preClose, not onClose: waiting requests and event streams must be answered before the
  // server stops taking connections.
  app.addHook("preClose", async () => {
    await options.service.close(options.shutdownGraceMs);
  });
}

export const runsPlugin = fp(runs, { name: "runs" });
