/**
 * Triggers (§10): the watch service, decorated onto the instance (the demo seeds a watch with
 * it), and this replica's sweep scheduler — looking for due watches once the server is ready,
 * stopped before the run service drains.
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { SweepScheduler } from "../../triggers/scheduler.ts";
import type { WatchService } from "../../triggers/watches.ts";

declare module "fastify" {
  interface FastifyInstance {
    watchService: WatchService;
    sweepScheduler: SweepScheduler;
  }
}

async function triggers(
  app: FastifyInstance,
  options: { watches: WatchService; scheduler: SweepScheduler },
) {
  app.decorate("watchService", options.watches);
  app.decorate("sweepScheduler", options.scheduler);
  app.addHook("onReady", async () => options.scheduler.start());
  app.addHook("preClose", async () => options.scheduler.stop());
}

export const triggersPlugin = fp(triggers, { name: "triggers", dependencies: ["runs"] });
