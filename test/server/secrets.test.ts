/**
 * Secrets (the Polar token, the OpenAI key, the API keys) never reach the logs, the store
 * (checkpoints, run records, events) or an answer — checked by reading all of them after both
 * scenarios, a failure and some rejected requests.
 */
import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { expect, test } from "vitest";
import { secretsOf } from "../../server/config.ts";
import { createLogger } from "../../server/logger.ts";
import { describeEachBackend } from "../helpers/backends.ts";
import { startFakeOpenAI } from "../helpers/fake-openai.ts";
import { OFFBOARDING_INPUT, OVERAGE_INPUT } from "../helpers/scenarios.ts";
import { readEvents, startTestServer } from "../helpers/server.ts";

describeEachBackend("secrets", (backend) => {
  test("no secret appears in logs, stored data or answers", async () => {
    const polarToken = `polar_oat_${randomUUID().replaceAll("-", "")}`;
    const openaiKey = `sk-proj-${randomUUID().replaceAll("-", "")}`;
    const apiKey = `pf_${randomUUID().replaceAll("-", "")}`;
    const otherApiKey = `pf_${randomUUID().replaceAll("-", "")}`;

    let logs = "";
    const capture = new Writable({
      write(chunk, _encoding, done) {
        logs += chunk.toString();
        done();
      },
    });
    // The model server answers nothing useful (runs fall back to templates) but sees the key.
    const openai = await startFakeOpenAI();
    const server = await startTestServer(backend, {
      simulator: { token: polarToken },
      env: {
        POLAR_ACCESS_TOKEN: polarToken,
        OPENAI_API_KEY: openaiKey,
        OPENAI_BASE_URL: openai.baseUrl,
        OPENAI_MODEL: "gpt-4o-mini",
        API_KEYS: `ops=${apiKey},other=${otherApiKey}`,
        LOG_LEVEL: "trace",
      },
      gateway: {
        retryPolicy: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 5 },
      },
      logger: createLogger({ level: "trace", destination: capture }),
    });
    const secrets = secretsOf(server.config);
    expect(secrets.sort()).toEqual([polarToken, openaiKey, apiKey, otherApiKey].sort());

    const answers: string[] = [];
    const call = async (
      method: string,
      path: string,
      body?: unknown,
      key: string | undefined = apiKey,
    ) => {
      const answer = await server.call(method, path, {
        key,
        ...(body !== undefined ? { body } : {}),
      });
      answers.push(answer.text, JSON.stringify([...answer.headers]));
      return answer;
    };
    try {
      const overage = await call("POST", "/v1/workflows/overage-remediation/runs", {
        input: OVERAGE_INPUT,
      });
      expect(overage.json.status).toBe("interrupted");
      const approved = await call("POST", `/v1/runs/${overage.json.run_id}/resume`, {
        resume: { approved: true },
      });
      expect(approved.json.output.outcome).toBe("checkout_created");

      const offboarding = await call("POST", "/v1/workflows/subscription-offboarding/runs", {
        input: OFFBOARDING_INPUT,
      });
      const scheduled = await call("POST", `/v1/runs/${offboarding.json.run_id}/resume`, {
        resume: { approved: true },
      });
      expect(scheduled.json.output.outcome).toBe("cancellation_scheduled");

      // A Polar failure is recorded on the run and logged.
      server.simulator.setFaults({ rate503: 1 });
      const failed = await call("POST", "/v1/workflows/overage-remediation/runs", {
        input: OVERAGE_INPUT,
      });
      expect(failed.json.status).toBe("failed");
      server.simulator.setFaults({ rate503: 0 });

      // Rejected requests: wrong keys, a key sent where it does not belong, bad input.
      expect((await call("GET", "/v1/runs", undefined, `${apiKey}x`)).status).toBe(401);
      expect((await call("GET", "/v1/runs", undefined, polarToken)).status).toBe(401);
      expect(
        (
          await call("POST", "/v1/workflows/overage-remediation/runs", {
            input: { customer: apiKey },
          })
        ).status,
      ).toBe(400);

      for (const runId of [overage.json.run_id, offboarding.json.run_id]) {
        const history = await call("GET", `/v1/runs/${runId}/checkpoints?limit=100`);
        for (const { checkpoint_id } of history.json.checkpoints) {
          await call("GET", `/v1/runs/${runId}/checkpoints/${checkpoint_id}`);
        }
        const stream = await readEvents(server, runId, { key: apiKey });
        answers.push(JSON.stringify(stream.events));
      }
      answers.push((await call("GET", "/v1/runs?limit=100")).text);
    } finally {
      await server.close();
      await openai.close();
    }
    // The key was in use: sent to the model server, and only there.
    expect(openai.requests().length).toBeGreaterThan(0);
    expect(
      openai.requests().every((request) => request.authorization === `Bearer ${openaiKey}`),
    ).toBe(true);

    const stored = await backend.contents();
    expect(logs.length).toBeGreaterThan(1000);
    expect(stored).toContain(OVERAGE_INPUT.customer.external_id);
    for (const secret of secrets) {
      expect(logs.includes(secret), "a secret is in the logs").toBe(false);
      expect(stored.includes(secret), "a secret is in the store").toBe(false);
      expect(answers.join("\n").includes(secret), "a secret is in an answer").toBe(false);
    }
    // The one place input text ends up in the store is the run's input: the wrongly sent key
    // was rejected before anything was stored.
    expect(stored.includes(apiKey)).toBe(false);
  });
});
