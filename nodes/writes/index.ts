/**
 * The write catalogue, by name: what the tool-write graph can carry out and tools/ offers.
 * It sits under nodes/ so that the graph, its nodes and tools/ all import it and nodes/ and
 * graphs/ import nothing of tools/. (Handing it to the graph through `config.configurable`
 * instead would lose the check that a run's input names a known write with arguments it
 * accepts — the input schema has to know the catalogue — and every caller that builds run
 * dependencies would have to remember to pass it.)
 */
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
