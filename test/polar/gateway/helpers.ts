/**
 * What the gateway's test files share: the simulator on loopback and a gateway to it (retries
 * on the fast clock), the simulator back to its seed before each test. `simulator` and `polar`
 * are live bindings, set by the hooks `useGateway()` registers.
 */
import { afterAll, beforeAll, beforeEach } from "vitest";
import type { PolarGateway } from "../../../polar/gateway.ts";
import { startTestPolar, type TestSimulator } from "../../helpers/polar.ts";

export const DAY_MS = 86_400_000;
export let simulator: TestSimulator;
export let polar: PolarGateway;

export function useGateway(): void {
  beforeAll(async () => {
    ({ simulator, gateway: polar } = await startTestPolar());
  });
  afterAll(() => simulator.close());
  beforeEach(() => {
    simulator.reset();
    simulator.clearRequests();
  });
}

export function last30Days() {
  const end = new Date();
  return { start: new Date(end.getTime() - 30 * DAY_MS), end };
}
