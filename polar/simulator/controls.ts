/** What drives a running simulator: its request log, fault settings, crowds and reset. */
import type { CrowdSpec } from "./crowd.ts";
import type { FaultOptions, FaultSettings } from "./faults.ts";
import type { WebhookEndpoint } from "./webhooks.ts";

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, unknown>;
  body: unknown;
  status: number;
  /** Simulated time of the request. */
  at: string;
}

export interface SimulatorControls {
  now: Date;
  token: string;
  requests(): LoggedRequest[];
  clearRequests(): void;
  faults(): FaultSettings;
  setFaults(partial: FaultOptions): FaultSettings;
  /** Where signed webhooks go (null: nowhere). */
  setWebhookEndpoint(endpoint: WebhookEndpoint | null): void;
  /** Webhook deliveries the endpoint accepted (2xx). */
  webhooksDelivered(): number;
  /** Adds a crowd of customers on the API Requests meter (see crowd.ts); answers who is over. */
  addCrowd(spec: CrowdSpec): { id: string; external_id: string }[];
  /** Back to the seed data, the startup fault settings and an empty request log. */
  reset(): void;
}
