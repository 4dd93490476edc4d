/**
 * Polar for tests: the project's simulator on loopback, reached over HTTP through the real
 * gateway and SDK. Retries wait a hundredth of what they would in production, so a test of
 * back-off takes milliseconds while following the same code path.
 */
import { PolarGateway, type PolarGatewayOptions } from "../../polar/gateway.ts";
import type { Clock } from "../../polar/pacing.ts";
import { startSimulator } from "../../polar/simulator/index.ts";

export const fastClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms / 100, 50))),
  random: Math.random,
};

/** `fastClock` (or it with `overrides`), recording every wait the gateway asks of it, in ms. */
export function recordingClock(overrides: Partial<Clock> = {}) {
  const waits: number[] = [];
  const clock: Clock = {
    ...fastClock,
    ...overrides,
    sleep: (ms) => {
      waits.push(ms);
      return fastClock.sleep(ms);
    },
  };
  return { clock, waits };
}

export type TestSimulator = Awaited<ReturnType<typeof startSimulator>>;

export function gatewayFor(
  simulator: TestSimulator,
  options: Partial<PolarGatewayOptions> = {},
): PolarGateway {
  return new PolarGateway({
    accessToken: simulator.token,
    baseUrl: simulator.url,
    clock: fastClock,
    ...options,
  });
}

export async function startTestPolar(simulatorOptions: Parameters<typeof startSimulator>[0] = {}) {
  const simulator = await startSimulator(simulatorOptions);
  return { simulator, gateway: gatewayFor(simulator) };
}

/** The simulator's request log, narrowed to one method and path prefix. */
export function requestsTo(simulator: TestSimulator, method: string, pathPrefix: string) {
  return simulator
    .requests()
    .filter((request) => request.method === method && request.path.startsWith(pathPrefix));
}
