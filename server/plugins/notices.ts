/**
 * Signed notices (`NOTIFY_URL`): the sender over the store's outbox, started when the server is
 * ready and stopped at close (notices not yet delivered stay in the outbox for the next start).
 */
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { NoticeSender } from "../../notify/sender.ts";
import type { Storage } from "../../storage/index.ts";
import type { Config } from "../config.ts";

export function noticeSenderFor(
  config: Config,
  storage: Storage,
  logger: FastifyBaseLogger,
  timing: { retryDelaysMs?: number[]; pollMs?: number } = {},
): NoticeSender | null {
  if (!config.notify) return null;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  return new NoticeSender({
    outbox: storage.notices,
    url: config.notify.url,
    secret: config.notify.secret,
    publicUrl: config.publicUrl ?? `http://${host}:${config.port}`,
    logger,
    ...timing,
  });
}

async function notices(app: FastifyInstance, options: { sender: NoticeSender | null }) {
  const { sender } = options;
  if (!sender) return;
  app.addHook("onReady", async () => sender.start());
  app.addHook("onClose", async () => sender.stop());
}

export const noticesPlugin = fp(notices, { name: "notices" });
