/**
 * One tool call, whichever front end it came through (REST or MCP): arguments checked against
 * the tool's schema before anything reaches Polar; reads answered straight from the gateway;
 * writes and workflows started as runs of the caller's tenant.
 */
import { TOOL_WRITE_WORKFLOW } from "../graphs/tool-write/state.ts";
import { validate } from "../lib/validation.ts";
import { answerFromRun } from "./answers.ts";
import { ToolArgumentsError, UnknownToolError } from "./errors.ts";
import { getTool } from "./registry.ts";
import type { Tool, ToolAnswer, ToolCallContext } from "./types.ts";

export async function invokeTool(
  name: string,
  rawArguments: unknown,
  context: ToolCallContext,
): Promise<ToolAnswer> {
  const tool = getTool(name);
  if (!tool) throw new UnknownToolError(name);
  const args = parseArguments(tool, rawArguments ?? {});
  switch (tool.kind) {
    case "read": {
      const now = context.now ?? (() => new Date());
      return { status: "completed", result: await tool.run(args, { polar: context.polar, now }) };
    }
    case "write": {
      const { run } = await context.runs.start(
        context.tenant,
        TOOL_WRITE_WORKFLOW,
        {
          input: { tool: tool.name, arguments: args, require_approval: !context.skipApproval },
          wait: true,
          metadata: { tool: tool.name },
        },
        { idempotencyKey: context.idempotencyKey, internal: true },
      );
      return answerFromRun(run);
    }
    case "workflow":
      return tool.invoke(args, context);
  }
}

function parseArguments(tool: Tool, raw: unknown) {
  const checked = validate(tool.input, raw, ["arguments"]);
  if (!checked.success) throw new ToolArgumentsError(tool.name, checked.issues);
  return checked.data;
}
