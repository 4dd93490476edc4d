/**
 * What the simulator's test files share: the simulator on loopback at a fixed "now", the real SDK
 * pointed at it, back to its seed before each test. `simulator` and `polar` are live bindings,
 * set by the hooks `useSimulator()` registers.
 */
import { createPolar, errors } from "@polar-sh/sdk/2026-10";
import { afterAll, beforeAll, beforeEach, expect } from "vitest";
import { type SimulatorHandle, startSimulator } from "../../../polar/simulator/app.ts";

export const NOW = new Date("2026-06-15T12:00:00.000Z");
export const DAY = 86_400_000;
export const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";

export type Polar = ReturnType<typeof createPolar>;
type EventQuery = NonNullable<Parameters<Polar["events"]["list"]>[0]>;

export let simulator: SimulatorHandle;
export let polar: Polar;

export function useSimulator(): void {
  beforeAll(async () => {
    simulator = await startSimulator({ now: NOW });
    polar = createPolar({ accessToken: simulator.token, baseUrl: simulator.url });
  });
  afterAll(async () => {
    await simulator.close();
  });
  beforeEach(() => {
    simulator.reset();
  });
}
/** `events.list` is typed as a union of two pagination shapes; the simulator answers pages. */
export async function events(query: EventQuery) {
  const page = await polar.events.list(query);
  if (!("total_count" in page.pagination)) throw new Error("expected page-based pagination");
  return { items: page.items, pagination: page.pagination };
}

export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

export function validationLocs(error: unknown): unknown[] {
  expect(error).toBeInstanceOf(errors.HTTPValidationError);
  return (
    (error as InstanceType<typeof errors.HTTPValidationError>).error.detail?.map(
      (item) => item.loc,
    ) ?? []
  );
}
