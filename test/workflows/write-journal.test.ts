/**
 * The journal of Polar writes on its own (runs/write-journal.ts), on both stores, against the
 * simulator: what is recorded when, what a node executed again sends and searches, and that no
 * write goes out without the run's lease.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import type { PolarWrite } from "../../nodes/context.ts";
import type { PolarGateway } from "../../polar/gateway.ts";
import { CUSTOMERS, PRODUCTS } from "../../polar/simulator/seed.ts";
import { RunWriteJournal } from "../../runs/write-journal.ts";
import { type Lease, LeaseLostError, type Storage } from "../../storage/index.ts";
import { describeEachBackend } from "../helpers/backends.ts";
import { gatewayFor, requestsTo, startTestPolar, type TestSimulator } from "../helpers/polar.ts";

describeEachBackend("journal of Polar writes", (backend) => {
  let storage: Storage;
  let simulator: TestSimulator;
  let polar: PolarGateway;
  beforeAll(async () => {
    storage = await backend.open();
    ({ simulator } = await startTestPolar());
  });
  afterAll(async () => {
    await simulator.close();
    await storage.close();
  });
  beforeEach(() => {
    simulator.reset();
    simulator.clearRequests();
    polar = gatewayFor(simulator);
  });

  async function claimedRun(): Promise<Lease> {
    const { run } = await storage.runs.create({
      tenant: "default",
      workflow: "overage-remediation",
      input: {},
      metadata: {},
    });
    const owner = `journal-test-${randomUUID()}`;
    const [claimed] = await storage.runs.claim(owner, 1, 60_000);
    expect(claimed?.run_id).toBe(run.run_id);
    return { run_id: run.run_id, owner, generation: claimed!.lease_generation };
  }

  function checkoutWrite(lease: Lease): PolarWrite<{ id: string }> {
    const request = {
      key: lease.run_id,
      customerId: CUSTOMERS.ada.id,
      productId: PRODUCTS.pro.id,
    };
    return {
      action: "checkout.create",
      key: lease.run_id,
      customerId: CUSTOMERS.ada.id,
      request: { product_id: PRODUCTS.pro.id },
      send: async () => ({ id: (await polar.createCheckout(request)).id }),
      lookup: async () => {
        const found = await polar.findCheckout(request);
        return found ? { id: found.id } : null;
      },
      objectId: (made) => made.id,
    };
  }

  const journalFor = (lease: Lease, leaseLeftMs?: () => number) =>
    new RunWriteJournal({
      log: storage.writes,
      lease,
      actor: async () => "approver-1",
      minLeftMs: 1_000,
      ...(leaseLeftMs ? { leaseLeftMs } : {}),
    });

  it("records before sending and after the answer; a repeat neither sends nor searches", async () => {
    const lease = await claimedRun();
    const made = await journalFor(lease).perform("create_checkout", checkoutWrite(lease));
    expect(requestsTo(simulator, "POST", "/v1/checkouts")).toHaveLength(1);
    expect(requestsTo(simulator, "GET", "/v1/checkouts")).toHaveLength(0);
    const entry = await storage.writes.find(lease.run_id, "checkout.create", lease.run_id);
    expect(entry).toMatchObject({
      status: "succeeded",
      polar_object_id: made.id,
      attempt: 1,
      actor: "approver-1",
      node: "create_checkout",
      customer_id: CUSTOMERS.ada.id,
      result: { id: made.id },
    });
    expect(Date.parse(entry!.answered_at!)).toBeGreaterThanOrEqual(Date.parse(entry!.sent_at));

    simulator.clearRequests();
    expect(await journalFor(lease).perform("create_checkout", checkoutWrite(lease))).toEqual(made);
    expect(simulator.requests()).toHaveLength(0);
  });

  it("an outcome never recorded is looked up at Polar by its key; not found: sent again", async () => {
    const lease = await claimedRun();
    const intent = {
      node: "create_checkout",
      action: "checkout.create" as const,
      idempotency_key: lease.run_id,
      customer_id: CUSTOMERS.ada.id,
      actor: "approver-1",
      request: {},
    };
    // Recorded, then the process died before sending: nothing at Polar.
    await storage.writes.sending(intent, lease, 0);
    const made = await journalFor(lease).perform("create_checkout", checkoutWrite(lease));
    expect(requestsTo(simulator, "GET", "/v1/checkouts")).toHaveLength(1);
    expect(requestsTo(simulator, "POST", "/v1/checkouts")).toHaveLength(1);
    expect(await storage.writes.find(lease.run_id, "checkout.create", lease.run_id)).toMatchObject({
      status: "succeeded",
      attempt: 2,
      polar_object_id: made.id,
    });
  });

  it("sends nothing without the lease: taken over, or too little of it left by our clock", async () => {
    const lease = await claimedRun();
    const stale = { ...lease, generation: lease.generation - 1 };
    await expect(
      journalFor(stale).perform("create_checkout", checkoutWrite(stale)),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect(await storage.writes.find(lease.run_id, "checkout.create", lease.run_id)).toBeNull();

    await expect(
      journalFor(lease, () => 999).perform("create_checkout", checkoutWrite(lease)),
    ).rejects.toBeInstanceOf(LeaseLostError);
    // The store's clock: less left than asked for.
    const short = new RunWriteJournal({
      log: storage.writes,
      lease,
      actor: async () => "approver-1",
      minLeftMs: 120_000,
    });
    await expect(short.perform("create_checkout", checkoutWrite(lease))).rejects.toBeInstanceOf(
      LeaseLostError,
    );
    expect(simulator.requests()).toHaveLength(0);
  });
});
