/**
 * The one way a watch starts a remediation, for sweeps and webhooks alike: claim the ledger's
 * key (tenant, watch, customer, billing period) with a fresh run id, then create that run. The
 * key's primary key makes the claim unique; the run's idempotency key, derived from it, makes
 * its creation unique too — so a claimant that died between the two is finished by whoever
 * next sees the key, and two that race create one run.
 */
import { randomUUID } from "node:crypto";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import type { RemediationStarter } from "../nodes/watch-rules.ts";
import { remediationInput } from "../nodes/watch-rules.ts";
import { IdempotencyKeyInFlightError, IdempotencyKeyReusedError } from "../runs/errors.ts";
import type { RunService } from "../runs/service.ts";
import type { RunRegistry, WatchStore } from "../storage/index.ts";

export const OVERAGE_WORKFLOW = "overage-remediation";

export class RemediationLedger implements RemediationStarter {
  readonly #watches: WatchStore;
  readonly #runs: RunRegistry;
  readonly #service: () => RunService;

  /** `service` is asked for at first use: the run service's own deps hold this ledger. */
  constructor(options: { watches: WatchStore; runs: RunRegistry; service: () => RunService }) {
    this.#watches = options.watches;
    this.#runs = options.runs;
    this.#service = options.service;
  }

  async start(request: Parameters<RemediationStarter["start"]>[0]) {
    const { tenant, watch, customer_id, period_start } = request;
    const claim = await this.#watches.claimRemediation({
      tenant,
      watch: watch.name,
      customer_id,
      period_start,
      run_id: randomUUID(),
      source: request.source,
    });
    if (!claim.claimed && (await this.#runs.get(tenant, claim.run_id))) {
      return { run_id: claim.run_id, started: false };
    }
    try {
      // Outside the calling graph's context (a sweep's node): a run started from inside it
      // would execute as that node's subgraph, and its interrupt would fail the node.
      const { run, created } = await outsideGraphContext(() =>
        this.#service().start(
          tenant,
          OVERAGE_WORKFLOW,
          {
            input: remediationInput(watch, customer_id, period_start),
            wait: false,
            metadata: { watch: watch.name },
          },
          { runId: claim.run_id, idempotencyKey: `watch:${claim.run_id}`, internal: true },
        ),
      );
      return { run_id: run.run_id, started: created };
    } catch (error) {
      // Another claimant is creating (or created) this very run: here, or on another replica
      // whose insert won the run id.
      if (
        error instanceof IdempotencyKeyInFlightError ||
        error instanceof IdempotencyKeyReusedError ||
        (await this.#runs.get(tenant, claim.run_id))
      )
        return { run_id: claim.run_id, started: false };
      throw error;
    }
  }
}

function outsideGraphContext<T>(callback: () => Promise<T>): Promise<T> {
  return AsyncLocalStorageProviderSingleton.getInstance().run(undefined, callback);
}

/**
 * A run service whose deps hold a ledger over that same service: sweeps and webhooks claim a
 * remediation in the ledger, which starts it on the service.
 */
export function runServiceWithRemediations(
  stores: { watches: WatchStore; runs: RunRegistry },
  create: (remediations: RemediationLedger) => RunService,
): { service: RunService; ledger: RemediationLedger } {
  let service: RunService | undefined;
  const ledger = new RemediationLedger({ ...stores, service: () => service as RunService });
  service = create(ledger);
  return { service, ledger };
}
