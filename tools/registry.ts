/**
 * The tools polar-flows offers agents, in one list: Polar's hero operations (reads, and writes
 * that become approved runs) and the workflows. Each has a description written for a model and
 * zod schemas, exported as JSON Schema for tool calling (OpenAI, LangChain) and MCP alike.
 */
import { z } from "zod";
import { writeTools } from "../nodes/writes/index.ts";
import { Run } from "../runs/schemas.ts";
import { getCustomer } from "./get-customer.ts";
import { getUsage } from "./get-usage.ts";
import { listEvents } from "./list-events.ts";
import { listSubscriptions } from "./list-subscriptions.ts";
import type { Tool } from "./types.ts";
import { getRun, startOverageRemediation, startSubscriptionOffboarding } from "./workflows.ts";

export const tools: readonly Tool[] = [
  getCustomer,
  listSubscriptions,
  listEvents,
  getUsage,
  ...writeTools,
  startOverageRemediation,
  startSubscriptionOffboarding,
  getRun,
];

export function getTool(name: string): Tool | undefined {
  return tools.find((tool) => tool.name === name);
}

export type JsonSchema = Record<string, unknown>;

/**
 * JSON Schema (draft-07: what OpenAI, LangChain and MCP clients all read) of a tool's input
 * (`io: "input"`: fields with defaults are optional) or output.
 */
export function jsonSchemaOf(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const json = z.toJSONSchema(schema, { io, target: "draft-7", unrepresentable: "any" });
  const { $schema: _dialect, ...rest } = json as JsonSchema;
  return rest;
}

export const ToolStatus = z.enum([
  "completed",
  "pending_approval",
  "pending_input",
  "running",
  "cancelled",
]);

/** The answer to every tool call, with the tool's own result inside. */
export function toolAnswerSchema(result: z.ZodType) {
  return z.object({
    status: ToolStatus.describe(
      "`completed`: `result` holds the answer. `pending_approval` / `pending_input`: a person must answer the run's interrupt first (see `run.interrupt`). `running`: not finished yet. `cancelled`.",
    ),
    result: result.optional(),
    run_id: z.string().optional(),
    run: Run.optional().describe("The run behind a write or a workflow, when it is not finished."),
    note: z.string().optional().describe("What happens next."),
  });
}

/** A tool as OpenAI / LangChain tool calling take it: `{ name, description, parameters }`. */
export interface ToolListing {
  name: string;
  description: string;
  parameters: JsonSchema;
}

export function toolListings(): ToolListing[] {
  return tools.map((tool) => ({
    name: tool.name,
    description: tool.description,
    parameters: jsonSchemaOf(tool.input, "input"),
  }));
}
