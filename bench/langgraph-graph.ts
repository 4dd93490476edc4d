/**
 * The overage-remediation graph as LangGraph's own server loads it (bench only): the project's
 * graph, bound to a gateway to the bench's simulator (`BENCH_POLAR_URL`, `BENCH_POLAR_TOKEN`),
 * since that server takes a run's config from the request and cannot be handed one.
 */
import { buildOverageRemediation } from "../graphs/overage-remediation/graph.ts";
import { PolarGateway } from "../polar/gateway.ts";

const polar = new PolarGateway({
  accessToken: process.env.BENCH_POLAR_TOKEN ?? "",
  baseUrl: process.env.BENCH_POLAR_URL ?? "",
});

export const graph = buildOverageRemediation().withConfig({ configurable: { polar } });
