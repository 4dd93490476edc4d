/**
 * Scenario 1 as an integrator writes it: a client generated from the served /openapi.json
 * (`api.generated.ts`, written by typed-client.test.ts) used through openapi-fetch. The test
 * typechecks this file against the fresh types before running it.
 */
import createClient from "openapi-fetch";
import type { components, operations, paths } from "./api.generated.ts";

type Run = components["schemas"]["Run"];
type Problem = components["schemas"]["Problem"];
type StartRunBody = operations["startRun"]["requestBody"]["content"]["application/json"];
type CheckpointSummary =
  operations["listCheckpoints"]["responses"][200]["content"]["application/json"]["checkpoints"][number];

export interface Scenario1Result {
  interrupted: Run;
  completed: Run;
  checkpoints: CheckpointSummary[];
  /** The state where the run waited for the approval. */
  atApproval: operations["getCheckpoint"]["responses"][200]["content"]["application/json"];
  /** A run that does not exist, and a call without the key. */
  notFound: Problem;
  unauthorized: Problem;
}

export async function scenario1(baseUrl: string, apiKey: string): Promise<Scenario1Result> {
  const client = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${apiKey}` } });

  const body: StartRunBody = {
    input: {
      customer: { external_id: "external_usr_881" },
      current_product: { name: "Starter" },
      upgrade_product: { name: "Pro" },
      usage: { event_name: "api_request", group_by: "endpoint" },
      limit: 10000,
    },
    metadata: { ticket: "typed-client" },
  };
  const started = await client.POST("/v1/workflows/{name}/runs", {
    params: { path: { name: "overage-remediation" } },
    body,
  });
  if (!started.data)
    throw new Error(`startRun answered ${started.error.status}: ${started.error.detail}`);
  const interrupted = started.data;
  const interrupt = interrupted.interrupt;
  if (interrupted.status !== "interrupted" || !interrupt || interrupt.kind !== "approval") {
    throw new Error(`expected an approval interrupt, got ${interrupted.status}`);
  }

  const resumed = await client.POST("/v1/runs/{run_id}/resume", {
    params: { path: { run_id: interrupted.run_id } },
    body: { resume: { approved: true, note: "ok by finance" }, interrupt_id: interrupt.id },
  });
  if (!resumed.data)
    throw new Error(`resumeRun answered ${resumed.error.status}: ${resumed.error.detail}`);

  const listed = await client.GET("/v1/runs/{run_id}/checkpoints", {
    params: { path: { run_id: interrupted.run_id }, query: { limit: 100 } },
  });
  if (!listed.data) throw new Error(`listCheckpoints answered ${listed.error.status}`);
  const waiting = listed.data.checkpoints.find((checkpoint) =>
    checkpoint.next.includes(interrupt.node),
  );
  if (!waiting) throw new Error(`no checkpoint before ${interrupt.node}`);

  const read = await client.GET("/v1/runs/{run_id}/checkpoints/{checkpoint_id}", {
    params: { path: { run_id: interrupted.run_id, checkpoint_id: waiting.checkpoint_id } },
  });
  if (!read.data) throw new Error(`getCheckpoint answered ${read.error.status}`);

  const missing = await client.GET("/v1/runs/{run_id}", {
    params: { path: { run_id: crypto.randomUUID() } },
  });
  const anonymous = createClient<paths>({ baseUrl });
  const refused = await anonymous.GET("/v1/runs", { params: { query: { limit: 1 } } });
  if (!missing.error || !refused.error) throw new Error("expected two problems");

  return {
    interrupted,
    completed: resumed.data,
    checkpoints: listed.data.checkpoints,
    atApproval: read.data,
    notFound: missing.error,
    unauthorized: refused.error,
  };
}
