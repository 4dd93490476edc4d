/**
 * Calls the generated types must reject; typechecked with scenario-1.ts, never run. Each line
 * under `@ts-expect-error` has to be an error, or the compiler reports the unused directive: so
 * a client typed as `any` (or a document that lost its schemas) fails the test.
 */
import createClient from "openapi-fetch";
import type { operations, paths } from "./api.generated.ts";

export async function rejected(baseUrl: string) {
  const client = createClient<paths>({ baseUrl });
  // @ts-expect-error: no such route
  await client.GET("/v1/run/{run_id}", { params: { path: { run_id: "x" } } });
  await client.POST("/v1/workflows/{name}/runs", {
    params: { path: { name: "overage-remediation" } },
    // @ts-expect-error: `input` is required
    body: { wait: false },
  });
  await client.POST("/v1/runs/{run_id}/resume", {
    params: { path: { run_id: "x" } },
    // @ts-expect-error: `wait` is a boolean
    body: { resume: { approved: true }, wait: "yes" },
  });
  const run = await client.GET("/v1/runs/{run_id}", { params: { path: { run_id: "x" } } });
  // @ts-expect-error: a status the API does not have
  if (run.data?.status === "paused") return;
  // @ts-expect-error: operations are keyed by their operationId
  const unknown: operations["getRunById"] = undefined;
  return unknown;
}
