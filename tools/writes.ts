/** The write tools, by name: what the `tool-write` graph can carry out. */
import { createBenefit } from "./create-benefit.ts";
import { createCheckout } from "./create-checkout.ts";
import { ingestEvent } from "./ingest-event.ts";
import { scheduleCancellation } from "./schedule-cancellation.ts";
import type { WriteTool } from "./types.ts";

export const writeTools: readonly WriteTool[] = [
  ingestEvent,
  createCheckout,
  scheduleCancellation,
  createBenefit,
];

export const WRITE_TOOL_NAMES = writeTools.map((tool) => tool.name) as [string, ...string[]];

export function getWriteTool(name: string): WriteTool {
  const tool = writeTools.find((candidate) => candidate.name === name);
  if (!tool) throw new Error(`no write tool named ${name}`);
  return tool;
}
