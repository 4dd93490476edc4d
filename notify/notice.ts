/**
 * What a notice says when a run waits for a person or fails for good: a JSON body a program
 * reads (`type`, `timestamp`, `data`) and a one-line `text` that chat tools show.
 */
import { randomUUID } from "node:crypto";
import type { RunError, RunRecord } from "../storage/index.ts";

export type NoticeType = "run.interrupted" | "run.failed";

export interface NoticeBody {
  type: NoticeType;
  timestamp: string;
  data: {
    run_id: string;
    tenant: string;
    workflow: string;
    interrupt?: { id: string; node: string; kind: string; message: string };
    error?: RunError;
    console_url: string;
  };
  text: string;
}

/** A run's page in the console, under the service's public base URL. */
export function consoleUrl(publicUrl: string, runId: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/console/runs/${runId}`;
}

/** The notice a run's new status calls for: interrupted, or failed for good; else null. */
export function noticeFor(record: RunRecord, publicUrl: string, now: Date): NoticeBody | null {
  const link = consoleUrl(publicUrl, record.run_id);
  const base = { run_id: record.run_id, tenant: record.tenant, workflow: record.workflow };
  const run = `${record.workflow} run ${record.run_id.slice(0, 8)}`;
  if (record.status === "interrupted" && record.interrupt) {
    const { id, node, kind, message } = record.interrupt as {
      id: string;
      node: string;
      kind: string;
      message: string;
    };
    const waitsFor =
      kind === "approval" ? "approval" : kind === "choice" ? "a choice" : "an answer";
    return {
      type: "run.interrupted",
      timestamp: now.toISOString(),
      data: { ...base, interrupt: { id, node, kind, message }, console_url: link },
      text: oneLine(`${run} waits for ${waitsFor}: ${message} ${link}`),
    };
  }
  if (record.status === "failed" && record.error && !record.error.retryable) {
    return {
      type: "run.failed",
      timestamp: now.toISOString(),
      data: { ...base, error: record.error, console_url: link },
      text: oneLine(`${run} failed (${record.error.code}): ${record.error.message} ${link}`),
    };
  }
  return null;
}

/** Standard Webhooks message ids: `msg_` and a random part; the same on every retry. */
export function newNoticeId(): string {
  return `msg_${randomUUID().replaceAll("-", "")}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
