/** The inputs of the two scenarios (README.md, docs/api.md), as a caller sends them. */

/** Scenario 1: Ada (external_usr_881) is at 150% of her Starter plan's 10,000 API requests. */
export const OVERAGE_INPUT = {
  customer: { external_id: "external_usr_881" },
  current_product: { name: "Starter" },
  upgrade_product: { name: "Pro" },
  usage: { event_name: "api_request", group_by: "endpoint" },
  limit: 10000,
};

/** Scenario 2: Grace (usr_offboard_1) leaves her Pro plan at the end of the period. */
export const OFFBOARDING_INPUT = {
  customer: { external_id: "usr_offboard_1" },
  reason: "too_expensive",
  comment: "moving to a smaller plan elsewhere",
};

/** Checkouts the simulator was asked to create for one run (tagged with the run id). */
export function checkoutsCreatedFor(
  requests: { method: string; path: string; body: unknown; status: number }[],
  runId: string,
) {
  return requests.filter(
    (request) =>
      request.method === "POST" &&
      /^\/v1\/checkouts\/?$/.test(request.path) &&
      request.status < 300 &&
      (request.body as { metadata?: Record<string, unknown> } | null)?.metadata?.polar_flows_key ===
        runId,
  );
}
