/**
 * Tools in-process, the way the service runs them: the run service on a real store, Polar played
 * by the simulator over HTTP through the real gateway.
 */
import { CUSTOMERS } from "../../polar/simulator/seed.ts";
import { RunService } from "../../runs/service.ts";
import { createLogger } from "../../server/logger.ts";
import type { Storage } from "../../storage/index.ts";
import { invokeTool } from "../../tools/invoke.ts";
import type { ToolCallContext } from "../../tools/types.ts";
import type { TestBackend } from "../helpers/backends.ts";
import { startTestPolar, type TestSimulator } from "../helpers/polar.ts";

export const ADA = { external_id: CUSTOMERS.ada.externalId };

export interface ToolHarness {
  simulator: TestSimulator;
  storage: Storage;
  service: RunService;
  call(
    name: string,
    args: unknown,
    context?: Partial<ToolCallContext>,
  ): ReturnType<typeof invokeTool>;
  /** Polar requests the simulator logged, as `METHOD /path`, since the last `reset`. */
  polarRequests(): string[];
  reset(): void;
  close(): Promise<void>;
}

export async function startToolHarness(backend: TestBackend): Promise<ToolHarness> {
  const { simulator, gateway } = await startTestPolar();
  const storage = await backend.open();
  const service = new RunService({
    storage,
    deps: { polar: gateway },
    logger: createLogger({ level: "silent" }),
    waitMs: 20_000,
    concurrency: 4,
  });
  const reads = gateway.impatient(2_000);
  return {
    simulator,
    storage,
    service,
    call: (name, args, context = {}) =>
      invokeTool(name, args, {
        tenant: "default",
        polar: reads,
        runs: service,
        skipApproval: false,
        ...context,
      }),
    polarRequests: () =>
      simulator
        .requests()
        .filter((request) => request.path.startsWith("/v1/"))
        .map((request) => `${request.method} ${request.path}`),
    reset() {
      simulator.reset();
      simulator.clearRequests();
    },
    async close() {
      await service.close(1_000);
      await storage.close();
      await simulator.close();
    },
  };
}
