import type { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PRODUCTS, SUBSCRIPTIONS } from "../../polar/simulator/seed.ts";
import { processBackends } from "../helpers/backends.ts";
import { runChild } from "../helpers/child.ts";
import { requestsTo, startTestPolar, type TestSimulator } from "../helpers/polar.ts";

const childScript = join(import.meta.dirname, "crash-child.ts");

async function killed(child: ReturnType<typeof spawn>) {
  const exited = new Promise((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  child.kill("SIGKILL");
  return exited;
}

const backends = processBackends("crash");

describe.each(backends)("side effects exactly once across a SIGKILL (%s)", (_name, makeBackend) => {
  let simulator: TestSimulator;
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ simulator } = await startTestPolar());
    const backend = await makeBackend();
    cleanup = backend.cleanup;
    env = { ...backend.env, POLAR_URL: simulator.url, POLAR_TOKEN: simulator.token };
  });
  afterAll(async () => {
    await simulator.close();
    await cleanup();
  });

  const overageInput = {
    customer: { external_id: "external_usr_881" },
    current_product: { name: "Starter" },
    upgrade_product: { name: "Pro" },
    usage: { event_name: "api_request", group_by: "endpoint" },
    limit: 10_000,
    require_approval: false,
  };
  const checkoutsCreated = () =>
    requestsTo(simulator, "POST", "/v1/checkouts/").filter(
      (request) =>
        request.status === 201 &&
        (request.body as { products: string[] }).products[0] === PRODUCTS.pro.id,
    );

  /** Starts the run, SIGKILLs it where `halt` says, and continues it in a fresh process. */
  async function crashAndRetry(workflow: string, input: unknown, halt: string) {
    simulator.reset();
    simulator.clearRequests();
    const runId = randomUUID();
    const first = runChild(
      childScript,
      ["start", workflow, runId, JSON.stringify(input)],
      { ...env, HALT: halt },
      (l) => "halted" in l,
    );
    const halted = await first.line;
    expect(halted.halted).toBe(halt);
    expect(await killed(first.child)).toBe("SIGKILL");
    const requestsBefore = simulator.requests().length;
    const second = runChild(childScript, ["retry", workflow, runId], env, (l) => "result" in l);
    const { result } = await second.line;
    const retried = simulator.requests().slice(requestsBefore);
    return { halted, result, retried: retried.map((r) => `${r.method} ${r.path}`) };
  }

  it("overage: killed between the send and its record → found at Polar by its key, not repeated", async () => {
    const { halted, result, retried } = await crashAndRetry(
      "overage-remediation",
      overageInput,
      "after-send",
    );
    expect(result).toMatchObject({ status: "completed", output: { outcome: "checkout_created" } });
    expect(result.output.checkout.id).toBe(halted.detail.id);
    expect(checkoutsCreated()).toHaveLength(1);
    expect(retried).toContain("GET /v1/checkouts/");
    expect(retried).not.toContain("POST /v1/checkouts/");
  });

  it("overage: killed after journaling the write, before sending it → sent once", async () => {
    const { result, retried } = await crashAndRetry(
      "overage-remediation",
      overageInput,
      "before-send",
    );
    expect(result).toMatchObject({ status: "completed", output: { outcome: "checkout_created" } });
    expect(checkoutsCreated()).toHaveLength(1);
    expect(retried.filter((r) => r === "POST /v1/checkouts/")).toHaveLength(1);
  });

  it("overage: killed after the answer was journaled → neither sent nor searched again", async () => {
    const { halted, result, retried } = await crashAndRetry(
      "overage-remediation",
      overageInput,
      "after-record",
    );
    expect(result.output.checkout.id).toBe(halted.detail.id);
    expect(checkoutsCreated()).toHaveLength(1);
    expect(retried).not.toContain("GET /v1/checkouts/");
    expect(retried).not.toContain("POST /v1/checkouts/");
  });

  it("offboarding: killed between the PATCH and its record → found at Polar, one PATCH", async () => {
    const { result, retried } = await crashAndRetry(
      "subscription-offboarding",
      { customer: { external_id: "usr_offboard_1" }, reason: "unused", require_approval: false },
      "after-send",
    );
    expect(result).toMatchObject({
      status: "completed",
      output: {
        outcome: "cancellation_scheduled",
        subscription: { id: SUBSCRIPTIONS.gracePro, cancel_at_period_end: true },
      },
    });
    expect(requestsTo(simulator, "PATCH", "/v1/subscriptions/")).toHaveLength(1);
    expect(retried).toContain(`GET /v1/subscriptions/${SUBSCRIPTIONS.gracePro}`);
  });
});
