/**
 * Sends notices from the durable outbox: a run's notice is stored first (so it survives a
 * restart) and sent by whichever replica claims it, signed per Standard Webhooks, with the same
 * `webhook-id` on every attempt. A receiver that is down or slow only delays its notices: runs
 * never wait on it, and failed attempts are retried with backoff for hours before giving up.
 */
import type { FastifyBaseLogger } from "fastify";
import { Webhook } from "standardwebhooks";
import type { NoticeOutbox, OutboxNotice, RunRecord } from "../storage/index.ts";
import { newNoticeId, noticeFor } from "./notice.ts";

/** Waits after failed attempts 1, 2, …: about 4 hours in all; then the notice is given up. */
export const RETRY_DELAYS_MS = [
  5_000, 30_000, 120_000, 300_000, 900_000, 1_800_000, 3_600_000, 7_200_000,
];

export interface NoticeSenderOptions {
  outbox: NoticeOutbox;
  url: string;
  /** `whsec_<base64>`. */
  secret: string;
  /** Base of the console links. */
  publicUrl: string;
  logger: FastifyBaseLogger;
  retryDelaysMs?: readonly number[];
  /** How often to look for notices due (other replicas' too, and retries). */
  pollMs?: number;
  /** How long one attempt may take. */
  timeoutMs?: number;
}

const CLAIM_BATCH = 10;

export class NoticeSender {
  readonly #options: NoticeSenderOptions;
  readonly #webhook: Webhook;
  readonly #retryDelays: readonly number[];
  readonly #timeoutMs: number;
  readonly #stop = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #sending: Promise<void> | null = null;
  #again = false;

  constructor(options: NoticeSenderOptions) {
    this.#options = options;
    this.#webhook = new Webhook(options.secret);
    this.#retryDelays = options.retryDelaysMs ?? RETRY_DELAYS_MS;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Stores the notice a run's new status calls for, if any, and sends it soon. Never throws. */
  async runSettled(record: RunRecord): Promise<void> {
    const body = noticeFor(record, this.#options.publicUrl, new Date());
    if (!body) return;
    try {
      await this.#options.outbox.add({
        notice_id: newNoticeId(),
        tenant: record.tenant,
        run_id: record.run_id,
        body: JSON.stringify(body),
      });
      this.wake();
    } catch (error) {
      this.#options.logger.warn({ run_id: record.run_id, err: error }, "could not store a notice");
    }
  }

  start(): void {
    const pollMs = this.#options.pollMs ?? 5_000;
    const tick = () => {
      this.wake();
      this.#timer = setTimeout(tick, pollMs);
      this.#timer.unref();
    };
    tick();
  }

  /** Looks for notices due now (one pass at a time; a wake during a pass makes another). */
  wake(): void {
    if (this.#stop.signal.aborted) return;
    if (this.#sending) {
      this.#again = true;
      return;
    }
    this.#sending = (async () => {
      do {
        this.#again = false;
        await this.#sendDue().catch((error) =>
          this.#options.logger.warn({ err: error }, "notice outbox pass failed"),
        );
      } while (this.#again && !this.#stop.signal.aborted);
      this.#sending = null;
    })();
  }

  /** Stops polling and aborts attempts in flight (their notices are sent again later). */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#stop.abort();
    await this.#sending;
  }

  async #sendDue(): Promise<void> {
    for (;;) {
      const due = await this.#options.outbox.claim(CLAIM_BATCH, this.#timeoutMs * 3);
      await Promise.all(due.map((notice) => this.#attempt(notice)));
      if (due.length < CLAIM_BATCH || this.#stop.signal.aborted) return;
    }
  }

  async #attempt(notice: OutboxNotice): Promise<void> {
    const { outbox, logger } = this.#options;
    let failure: string;
    try {
      const sentAt = new Date();
      const response = await fetch(this.#options.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "polar-flows-notices",
          "webhook-id": notice.notice_id,
          "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
          "webhook-signature": this.#webhook.sign(notice.notice_id, sentAt, notice.body),
        },
        body: notice.body,
        redirect: "manual",
        signal: AbortSignal.any([this.#stop.signal, AbortSignal.timeout(this.#timeoutMs)]),
      });
      await response.body?.cancel();
      if (response.ok) {
        await outbox.delivered(notice.notice_id);
        return;
      }
      failure = `the receiver answered ${response.status}`;
    } catch (error) {
      failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    const retryIn = this.#retryDelays[notice.attempts - 1] ?? null;
    logger.warn(
      {
        notice_id: notice.notice_id,
        run_id: notice.run_id,
        attempts: notice.attempts,
        retry_in_ms: retryIn,
      },
      `notice not delivered: ${failure}`,
    );
    await outbox.failed(notice.notice_id, retryIn, failure);
  }
}
