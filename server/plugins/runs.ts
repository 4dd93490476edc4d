/**
 * The run service, decorated onto the instance for the routes. When the server is ready it
 * joins the shared run queue (runs left behind by a crash or a restart continue); on close it
 * drains: in-flight steps reach a checkpoint and their runs go back to the queue.
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { RunService } from "../../runs/service.ts";

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
    const handedBack = await options.service.recover();
    if (handedBack > 0) app.log.info({ runs: handedBack }, "continuing runs left running");
  });
  // preClose, not onClose: waiting requests and event streams must be answered before the
  // server stops taking connections.
  app.addHook("preClose", async () => {
    await options.service.close(options.shutdownGraceMs);
  });
}

export const runsPlugin = fp(runs, { name: "runs" });
