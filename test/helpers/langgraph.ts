/** The LangGraph SDK client as the tests use it, the keys, and the overage run's graph input. */
import { randomUUID } from "node:crypto";
import { Client } from "@langchain/langgraph-sdk";
import { expect } from "vitest";
import { CUSTOMERS, METER } from "../../polar/simulator/seed.ts";
import type { TestServer } from "./server.ts";

export const APPROVER_KEY = `approver-${randomUUID()}`;
export const AGENT_KEY = `agent-${randomUUID()}`;
export const OTHER_TENANT_KEY = `globex-${randomUUID()}`;
export const LANGGRAPH_KEYS = [
  `acme:ada:approver=${APPROVER_KEY}`,
  `acme:ci-bot:agent=${AGENT_KEY}`,
  `globex=${OTHER_TENANT_KEY}`,
].join(",");

export const OVERAGE = "overage-remediation";
/**
 * The graph's input (what LangGraph's own server takes for this graph too): Scenario 1 on the
 * meter path, 8 Polar calls per run, so runs stay quick on a slow simulator.
 */
export const GRAPH_INPUT = {
  input: {
    customer: { external_id: CUSTOMERS.ada.externalId },
    current_product: { name: "Starter" },
    upgrade_product: { name: "Pro" },
    usage: { meter_id: METER.id },
  },
};

/** The official client, as agent-inbox makes one (the key in `x-api-key`), without retries. */
export function clientFor(server: Pick<TestServer, "url">, key: string) {
  return new Client({
    apiUrl: `${server.url}/langgraph`,
    apiKey: key,
    callerOptions: { maxRetries: 0 },
  });
}

/** Runs an SDK call that must fail; answers the HTTP status it failed with. */
export async function failedStatus(call: Promise<unknown>): Promise<number> {
  const error = await call.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).not.toBeNull();
  return (error as { status: number }).status;
}
