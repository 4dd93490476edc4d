/**
 * A LangChain agent on polar-flows' tools: `createReactAgent` with `ChatOpenAI`, its tools built
 * from `GET /v1/tools` (no adapter), the model played by the fake OpenAI server.
 * Scenario 1 end to end over real HTTP: get the customer → list subscriptions → get usage →
 * create checkout, which waits for a person's approval (202 pending_approval).
 */
import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { type StructuredToolInterface, tool } from "@langchain/core/tools";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { ChatOpenAI } from "@langchain/openai";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  ADA_USAGE_BY_ENDPOINT,
  CUSTOMERS,
  PRODUCTS,
  SUBSCRIPTIONS,
} from "../../polar/simulator/seed.ts";
import { describeEachBackend } from "../helpers/backends.ts";
import {
  type ChatCall,
  type FakeReply,
  PLAIN_CHAT,
  startFakeOpenAI,
  toolResults,
} from "../helpers/fake-openai.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const KEY = "agent-key-0123456789";

/** LangChain tools from the REST listing: each one POSTs its arguments to `invoke`. */
async function toolsFrom(server: TestServer): Promise<StructuredToolInterface[]> {
  const { json } = await server.call("GET", "/v1/tools", { key: KEY });
  return json.tools.map((listing: { name: string; description: string; parameters: object }) =>
    tool(
      async (args: Record<string, unknown>) => {
        const answer = await server.call("POST", `/v1/tools/${listing.name}/invoke`, {
          key: KEY,
          body: { arguments: args },
        });
        // Problems too go back to the model as the tool's answer, so it can correct itself.
        return answer.text;
      },
      { name: listing.name, description: listing.description, schema: listing.parameters },
    ),
  );
}

/** The model's side of Scenario 1: every id it uses comes from a tool's answer. */
function scenario1(request: ChatCall): FakeReply {
  const results = toolResults(request) as any[];
  const call = (name: string, args: Record<string, unknown>): FakeReply => ({
    tool_calls: [{ name, arguments: args }],
  });
  switch (results.length) {
    case 0:
      return call("get_customer", { customer: { external_id: "external_usr_881" } });
    case 1: {
      const customer = results[0].result.customer;
      return call("list_subscriptions", { customer: { id: customer.id } });
    }
    case 2: {
      const customerId = results[0].result.customer.id;
      return call("get_usage", {
        customer: { id: customerId },
        usage: { event_name: "api_request", group_by: "endpoint" },
        window_days: 30,
      });
    }
    case 3: {
      const customerId = results[0].result.customer.id;
      const usage = results[2].result.usage;
      const plan = results[0].result.customer.meters[0].credited_units;
      if (usage.total <= plan) return { content: "Usage is within the plan." };
      return call("create_checkout", { customer: { id: customerId }, product: { name: "Pro" } });
    }
    default: {
      const last = results.at(-1);
      return {
        content:
          last.status === "pending_approval"
            ? `Ada is at ${results[2].result.usage.total} of ${results[0].result.customer.meters[0].credited_units} requests. A Pro checkout waits for approval in run ${last.run.run_id}.`
            : `Unexpected answer: ${JSON.stringify(last)}`,
      };
    }
  }
}

describeEachBackend("a LangChain agent on the tools", (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend, { env: { API_KEYS: `agents=${KEY}` } });
  });
  afterAll(() => server.close());

  test("Scenario 1: customer → subscriptions → usage → checkout, which waits for approval", async () => {
    const model = await startFakeOpenAI();
    model.script({ [PLAIN_CHAT]: scenario1 });
    try {
      const agent = createReactAgent({
        llm: new ChatOpenAI({
          model: "gpt-4o-mini",
          apiKey: "sk-test",
          configuration: { baseURL: model.baseUrl },
          maxRetries: 0,
        }),
        tools: await toolsFrom(server),
      });
      server.simulator.clearRequests();

      const final = await agent.invoke({
        messages: [new HumanMessage("Ada (external_usr_881) keeps hitting limits. Sort it out.")],
      });

      // The model was offered exactly the REST listing, as OpenAI function tools.
      const { json: listing } = await server.call("GET", "/v1/tools", { key: KEY });
      const offered: { function: { name: string; parameters: unknown } }[] =
        model.requests()[0]!.body.tools;
      expect(offered.map((entry) => entry.function.name)).toEqual(
        listing.tools.map((entry: { name: string }) => entry.name),
      );
      expect(
        offered.find((entry) => entry.function.name === "get_customer")!.function.parameters,
      ).toEqual(
        listing.tools.find((entry: { name: string }) => entry.name === "get_customer").parameters,
      );

      const calls = final.messages.flatMap((message) =>
        AIMessage.isInstance(message) ? (message.tool_calls ?? []).map((call) => call.name) : [],
      );
      expect(calls).toEqual(["get_customer", "list_subscriptions", "get_usage", "create_checkout"]);

      const results = final.messages
        .filter((message) => ToolMessage.isInstance(message))
        .map((message) => JSON.parse(message.content as string));
      expect(results[0].result.customer).toMatchObject({
        id: CUSTOMERS.ada.id,
        email: "ada@example.com",
      });
      expect(results[1].result.subscriptions).toMatchObject([
        { id: SUBSCRIPTIONS.adaStarter, product_name: "Starter", status: "active" },
      ]);
      expect(results[2].result.usage).toMatchObject({
        total: 15_000,
        by_group: ADA_USAGE_BY_ENDPOINT,
      });
      expect(results[3]).toMatchObject({
        status: "pending_approval",
        run: {
          workflow: "tool-write",
          status: "interrupted",
          interrupt: {
            kind: "approval",
            message: expect.stringContaining(
              `Create a Pro checkout (product ${PRODUCTS.pro.id}) for ada@example.com (customer ${CUSTOMERS.ada.id})`,
            ),
            proposed_action: { customer_id: CUSTOMERS.ada.id, product_id: PRODUCTS.pro.id },
          },
        },
      });
      const runId = results[3].run.run_id;
      expect(final.messages.at(-1)!.content).toBe(
        `Ada is at 15000 of 10000 requests. A Pro checkout waits for approval in run ${runId}.`,
      );

      // Nothing was written: the checkout waits for a person.
      const writes = server.simulator.requests().filter((request) => request.method !== "GET");
      expect(writes).toEqual([]);
      const { json: run } = await server.call("GET", `/v1/runs/${runId}`, { key: KEY });
      expect(run.status).toBe("interrupted");

      // A person approves; the run creates exactly one checkout, for the customer's Polar id.
      const { json: approved } = await server.call("POST", `/v1/runs/${runId}/resume`, {
        key: KEY,
        body: { resume: { approved: true } },
      });
      expect(approved).toMatchObject({
        status: "completed",
        output: { outcome: "checkout_created", checkout: { url: expect.any(String) } },
      });
      const checkouts = server.simulator
        .requests()
        .filter((request) => request.method === "POST" && request.path === "/v1/checkouts/");
      expect(checkouts).toHaveLength(1);
      expect(checkouts[0]!.body).toMatchObject({
        customer_id: CUSTOMERS.ada.id,
        products: [PRODUCTS.pro.id],
      });
    } finally {
      await model.close();
    }
  });
});
