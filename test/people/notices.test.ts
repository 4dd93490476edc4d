/**
 * Notices: a local receiver verifies each Standard Webhooks signature, sees a retry with the same
 * `webhook-id` after a 500, and gets a notice stored before a restart from the service after it.
 * A receiver that hangs does not hold up the run.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import { describeEachBackend } from "../helpers/backends.ts";
import { OVERAGE_INPUT } from "../helpers/scenarios.ts";
import { eventually, startTestServer, type TestServer } from "../helpers/server.ts";

const SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const PUBLIC_URL = "https://flows.example.com";

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
  verified: unknown;
}

/** Answers each POST with the next status of `script` (the last one repeats); `0` hangs. */
class Receiver {
  deliveries: Delivery[] = [];
  script: number[] = [200];
  #server: Server | undefined;
  url = "";

  async start() {
    this.#server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        let verified: unknown = null;
        try {
          verified = new Webhook(SECRET).verify(body, request.headers as Record<string, string>);
        } catch {
          verified = null;
        }
        this.deliveries.push({ headers: request.headers, body, verified });
        const status = this.script.length > 1 ? this.script.shift()! : this.script[0]!;
        if (status === 0) return; // hang: never answer
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}/hooks`;
  }

  forRun(runId: string) {
    return this.deliveries.filter((delivery) => delivery.body.includes(runId));
  }

  async close() {
    this.#server?.closeAllConnections();
    await new Promise((resolve) => this.#server?.close(resolve));
  }
}

describeEachBackend("notices", (backend) => {
  const receiver = new Receiver();
  let server: TestServer;
  const start = () =>
    startTestServer(backend, {
      env: { NOTIFY_URL: receiver.url, NOTIFY_SECRET: SECRET, PUBLIC_URL },
      notices: { retryDelaysMs: [100, 100, 100, 100, 100], pollMs: 50 },
    });

  beforeAll(async () => {
    await receiver.start();
    server = await start();
  });
  beforeEach(() => {
    receiver.script = [200];
  });
  afterAll(async () => {
    await server.close();
    await receiver.close();
  });

  test("an interrupted run: a signed notice, retried after a 500 with the same webhook-id", async () => {
    receiver.script = [500, 200];
    const { json: run } = await server.call("POST", "/v1/workflows/overage-remediation/runs", {
      body: { input: OVERAGE_INPUT },
    });
    expect(run.status).toBe("interrupted");
    const [first, second] = await eventually(async () => {
      const got = receiver.forRun(run.run_id);
      return got.length >= 2 ? got : undefined;
    });
    expect(first!.headers["webhook-id"]).toMatch(/^msg_/);
    expect(second!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    expect(second!.body).toBe(first!.body);
    for (const delivery of [first!, second!]) {
      expect(delivery.verified, "signature verifies").not.toBeNull();
      expect(delivery.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      expect(delivery.headers["content-type"]).toBe("application/json");
    }
    const consoleUrl = `${PUBLIC_URL}/console/runs/${run.run_id}`;
    const body = JSON.parse(first!.body);
    expect(body).toEqual({
      type: "run.interrupted",
      timestamp: expect.any(String),
      data: {
        run_id: run.run_id,
        tenant: "default",
        workflow: "overage-remediation",
        interrupt: {
          id: run.interrupt.id,
          node: "approve_checkout",
          kind: "approval",
          message: run.interrupt.message,
        },
        console_url: consoleUrl,
      },
      text: expect.stringContaining(consoleUrl),
    });
    expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
    expect(body.text).not.toContain("\n");
    expect(body.text).toContain("waits for approval");
    // Delivered: no third attempt, and the outbox says so.
    const notice = await eventually(async () => {
      const state = await server.storage.notices.get(first!.headers["webhook-id"] as string);
      return state?.delivered_at ? state : undefined;
    });
    expect(notice.attempts).toBe(2);
    expect(receiver.forRun(run.run_id)).toHaveLength(2);
  });

  test("a run that fails for good: a run.failed notice with the error", async () => {
    const { json: run } = await server.call("POST", "/v1/workflows/overage-remediation/runs", {
      body: {
        input: { ...OVERAGE_INPUT, usage: { meter_id: "00000000-0000-4000-8000-000000000000" } },
      },
    });
    expect(run).toMatchObject({ status: "failed", error: { retryable: false } });
    const [delivery] = await eventually(async () => {
      const got = receiver.forRun(run.run_id);
      return got.length >= 1 ? got : undefined;
    });
    expect(delivery!.verified).not.toBeNull();
    expect(JSON.parse(delivery!.body)).toMatchObject({
      type: "run.failed",
      data: { run_id: run.run_id, error: { code: run.error.code, retryable: false } },
      text: expect.stringContaining("failed"),
    });
  });

  test("a receiver that hangs does not hold up the run", async () => {
    receiver.script = [0];
    const { json: run } = await server.call("POST", "/v1/workflows/overage-remediation/runs", {
      body: { input: OVERAGE_INPUT },
    });
    expect(run.status).toBe("interrupted");
    const approved = await server.call("POST", `/v1/runs/${run.run_id}/resume`, {
      body: { resume: { approved: true } },
    });
    expect(approved.json.status).toBe("completed");
  });

  test("a notice stored before a restart is delivered after it, with the same webhook-id", async () => {
    receiver.script = [503];
    const { json: run } = await server.call("POST", "/v1/workflows/subscription-offboarding/runs", {
      body: {
        input: { customer: { external_id: "usr_two_subs" }, reason: "too_expensive" },
      },
    });
    expect(run.status).toBe("interrupted");
    const [refused] = await eventually(async () => {
      const got = receiver.forRun(run.run_id);
      return got.length >= 1 ? got : undefined;
    });
    const id = refused!.headers["webhook-id"];

    await server.close();
    const seenBefore = receiver.forRun(run.run_id).length;
    receiver.script = [200];
    server = await start();
    const after = await eventually(async () => {
      const got = receiver.forRun(run.run_id).slice(seenBefore);
      return got.some((delivery) => delivery.headers["webhook-id"] === id) ? got : undefined;
    });
    expect(after.every((delivery) => delivery.headers["webhook-id"] === id)).toBe(true);
    expect(after.at(-1)!.verified).not.toBeNull();
    const state = await eventually(async () => {
      const notice = await server.storage.notices.get(id as string);
      return notice?.delivered_at ? notice : undefined;
    });
    expect(state.attempts).toBeGreaterThanOrEqual(2);
  });
});

describeEachBackend("notice outbox claims", (backend) => {
  test("two senders on one store never claim the same notice; a claimed notice waits for its lease", async () => {
    const [one, two] = [await backend.open(), await backend.open()];
    try {
      const ids = Array.from(
        { length: 40 },
        (_, index) => `msg_claim_${index}_${randomBytes(4).toString("hex")}`,
      );
      for (const id of ids) {
        await one.notices.add({ notice_id: id, tenant: "t", run_id: "r", body: "{}" });
      }
      const claims = await Promise.all(
        Array.from({ length: 8 }, (_, index) => (index % 2 ? two : one).notices.claim(10, 60_000)),
      );
      const claimed = claims.flat().map((notice) => notice.notice_id);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.sort()).toEqual([...ids].sort());
      // Leased: nobody claims them again until the lease lapses or the attempt is recorded.
      expect(await two.notices.claim(10, 60_000)).toEqual([]);
      await one.notices.failed(ids[0]!, 0, "the receiver answered 500");
      const again = await two.notices.claim(10, 60_000);
      expect(again.map((notice) => [notice.notice_id, notice.attempts])).toEqual([[ids[0], 2]]);
    } finally {
      await one.close();
      await two.close();
    }
  });
});
