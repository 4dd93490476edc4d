/** The Polar simulator's public surface. */
export {
  buildSimulatorApp,
  DEFAULT_SIMULATOR_TOKEN,
  type LoggedRequest,
  type SimulatorControls,
  type SimulatorHandle,
  type SimulatorOptions,
  startSimulator,
} from "./app.ts";
export { CROWD_OVER_USAGE, CROWD_PERIOD_DAYS_AGO, type Crowd, type CrowdSpec } from "./crowd.ts";
export type { FaultOptions, FaultSettings, RateLimit } from "./faults.ts";
export * from "./seed.ts";
export type { OrganizationOptions } from "./store.ts";
export { signWebhook, type WebhookEndpoint } from "./webhooks.ts";
