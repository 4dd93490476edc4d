/** Assistants (LangGraph API): the workflows, each one an assistant whose id is its name. */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { LangGraphService } from "../../../langgraph/service.ts";
import { JsonObject } from "../../../runs/schemas.ts";
import { problems } from "../common.ts";
import { AssistantParams, MetadataFilter } from "./common.ts";

const Assistant = z.looseObject({
  assistant_id: z.string(),
  graph_id: z.string(),
  name: z.string(),
  description: z.string(),
  config: JsonObject,
  metadata: JsonObject,
  version: z.int(),
  created_at: z.string(),
  updated_at: z.string(),
});

const AssistantSearch = z.looseObject({
  graph_id: z.string().max(100).nullish(),
  name: z.string().max(100).nullish(),
  metadata: MetadataFilter.nullish(),
  limit: z.int().min(1).max(1000).default(10),
  offset: z.int().min(0).default(0),
});

export const assistantRoutes: FastifyPluginAsyncZod<{ service: LangGraphService }> = async (
  app,
  { service },
) => {
  app.post(
    "/assistants/search",
    {
      schema: {
        operationId: "langGraphSearchAssistants",
        tags: ["langgraph"],
        summary: "Search assistants (the workflows)",
        description:
          "Filters by `graph_id`, by `name` (a case-insensitive substring) and by `metadata` (every assistant has `created_by: system`). Internal workflows are not listed.",
        body: AssistantSearch,
        response: { 200: z.array(Assistant), ...problems(400) },
      },
    },
    async (request) => {
      const { graph_id: graphId, name, metadata, limit, offset } = request.body;
      const found = (await service.assistants()).filter(
        (assistant) =>
          (!graphId || assistant.graph_id === graphId) &&
          (!name || assistant.name.toLowerCase().includes(name.toLowerCase())) &&
          Object.entries(metadata ?? {}).every(
            ([key, value]) => (assistant.metadata as Record<string, unknown>)[key] === value,
          ),
      );
      return found.slice(offset, offset + limit);
    },
  );

  app.get(
    "/assistants/:assistant_id",
    {
      schema: {
        operationId: "langGraphGetAssistant",
        tags: ["langgraph"],
        summary: "One assistant",
        params: AssistantParams,
        response: { 200: Assistant, ...problems(400, 404) },
      },
    },
    async (request) => service.assistant(request.params.assistant_id),
  );

  app.get(
    "/assistants/:assistant_id/graph",
    {
      schema: {
        operationId: "langGraphGetAssistantGraph",
        tags: ["langgraph"],
        summary: "The assistant's graph: nodes and edges",
        params: AssistantParams,
        querystring: z.looseObject({}),
        response: {
          200: z.looseObject({ nodes: z.array(JsonObject), edges: z.array(JsonObject) }),
          ...problems(400, 404),
        },
      },
    },
    async (request) => {
      await service.assistant(request.params.assistant_id);
      return service.graph(request.params.assistant_id);
    },
  );

  app.get(
    "/assistants/:assistant_id/schemas",
    {
      schema: {
        operationId: "langGraphGetAssistantSchemas",
        tags: ["langgraph"],
        summary: "The assistant's input, output, state and config schemas",
        description:
          "The input is the graph's: `{ input: <the workflow's input> }`, the same as LangGraph's own server takes for this graph.",
        params: AssistantParams,
        response: {
          200: z.looseObject({
            graph_id: z.string(),
            input_schema: JsonObject,
            output_schema: JsonObject,
            state_schema: JsonObject,
            config_schema: JsonObject,
          }),
          ...problems(400, 404),
        },
      },
    },
    async (request) => service.schemas(request.params.assistant_id),
  );
};
