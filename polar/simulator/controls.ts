/** What drives a running simulator: its request log, fault settings and reset. */
import type { FaultOptions, FaultSettings } from "./faults.ts";

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
  /** Back to the seed data, the startup fault settings and an empty request log. */
  reset(): void;
}
