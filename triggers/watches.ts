/**
 * Usage watches (§10): a meter, an upgrade path, a threshold and a limit, maybe a schedule.
 * Approver keys create, replace and delete them and start sweeps; any key of the tenant reads
 * them. Everything a watch names is checked against Polar when it is put, so a sweep never
 * starts on a meter or product Polar does not know.
 */
import { z } from "zod";
import {
  SweptWatch,
  type SweptWatch as SweptWatchType,
  USAGE_SWEEP_WORKFLOW,
} from "../graphs/usage-sweep/state.ts";
import { type Actor, requireApprover } from "../lib/actor.ts";
import { DomainError } from "../lib/errors.ts";
import type { FieldIssue } from "../lib/validation.ts";
import type { PolarForTenants } from "../polar/gateway.ts";
import { ProductRef } from "../polar/schemas.ts";
import { NotFoundError } from "../runs/errors.ts";
import type { Run } from "../runs/schemas.ts";
import type { RunService } from "../runs/service.ts";
import type { RunRegistry, WatchRecord, WatchStore } from "../storage/index.ts";
import { nextTick, scheduleProblem } from "./cron.ts";

export const WatchName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, {
  error: "1–100 letters, digits, `_`, `.` or `-`, starting with a letter or digit",
});

export const WatchBody = z.strictObject({
  meter_id: z.uuid({ error: "must be a Polar meter UUID" }),
  upgrade_product: ProductRef,
  current_product: ProductRef.optional(),
  threshold_pct: z.number().positive().max(10_000).default(100),
  limit: z
    .number()
    .positive()
    .optional()
    .describe("Units included in the plan; absent: each customer's meter credits."),
  schedule: z
    .string()
    .max(200)
    .superRefine((expression, context) => {
      const problem = scheduleProblem(expression);
      if (problem) context.addIssue({ code: "custom", message: problem });
    })
    .optional()
    .describe("When to sweep by itself: a 5-field cron in UTC, e.g. `0 * * * *` (hourly)."),
  require_approval: z.boolean().default(true),
  enabled: z.boolean().default(true),
});
export type WatchBody = z.output<typeof WatchBody>;

/** What is stored: the body with its products resolved once, at `PUT`. */
const WatchSpec = z.object({
  meter_id: z.string(),
  upgrade_product: z.object({ id: z.string(), name: z.string() }),
  current_product: z.object({ id: z.string(), name: z.string() }).nullable(),
  threshold_pct: z.number(),
  limit: z.number().nullable(),
  require_approval: z.boolean(),
});
type WatchSpec = z.infer<typeof WatchSpec>;

export const WatchView = z.object({
  name: z.string(),
  meter_id: z.string(),
  upgrade_product: z.object({ id: z.string(), name: z.string() }),
  current_product: z.object({ id: z.string(), name: z.string() }).nullable(),
  threshold_pct: z.number(),
  limit: z.number().nullable(),
  schedule: z.string().nullable(),
  require_approval: z.boolean(),
  enabled: z.boolean(),
  last_sweep: z
    .object({ run_id: z.string(), started_at: z.string(), status: z.string().nullable() })
    .nullable(),
  next_sweep_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type WatchView = z.infer<typeof WatchView>;

export interface WatchServiceOptions {
  watches: WatchStore;
  runs: RunRegistry;
  /** Each tenant's Polar: a watch is checked against its own tenant's organization. */
  polar: PolarForTenants;
  service: RunService;
  now?: () => Date;
}

export class WatchService {
  readonly #options: WatchServiceOptions;
  readonly #now: () => Date;

  constructor(options: WatchServiceOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  /** Creates or replaces a watch after checking its meter and products with Polar. */
  async put(
    actor: Actor,
    name: string,
    body: WatchBody,
  ): Promise<{ watch: WatchView; created: boolean }> {
    requireApprover(actor, "change a watch");
    const spec = await this.#resolve(actor.tenant, body);
    const schedule = body.schedule ?? null;
    const next = schedule && body.enabled ? nextTick(schedule, this.#now()) : null;
    const { watch, created } = await this.#options.watches.put({
      tenant: actor.tenant,
      name,
      spec,
      enabled: body.enabled,
      schedule,
      next_sweep_at: next?.toISOString() ?? null,
    });
    return { watch: await this.#view(watch), created };
  }

  async get(tenant: string, name: string): Promise<WatchView> {
    return this.#view(await this.#find(tenant, name));
  }

  async list(tenant: string): Promise<WatchView[]> {
    const records = await this.#options.watches.list(tenant);
    return Promise.all(records.map((record) => this.#view(record)));
  }

  /** Forgets the watch; nothing at Polar changes, and runs it started stay. */
  async delete(actor: Actor, name: string): Promise<void> {
    requireApprover(actor, "delete a watch");
    if (!(await this.#options.watches.delete(actor.tenant, name)))
      throw new NotFoundError(`There is no watch named "${name}".`);
  }

  /** A sweep a person asked for, now (a dry run starts no remediation). */
  async sweep(
    actor: Actor,
    name: string,
    request: { dry_run: boolean; wait: boolean },
  ): Promise<Run> {
    requireApprover(actor, "start a sweep");
    const record = await this.#find(actor.tenant, name);
    const run = await this.startSweep(record, request);
    await this.#options.watches.recordSweep(actor.tenant, name, {
      run_id: run.run_id,
      at: run.created_at,
    });
    return run;
  }

  /** Starts a usage-sweep run of the watch as it is now (its settings travel in the input). */
  async startSweep(
    record: WatchRecord,
    request: { dry_run: boolean; wait: boolean; runId?: string },
  ): Promise<Run> {
    const { run } = await this.#options.service.start(
      record.tenant,
      USAGE_SWEEP_WORKFLOW,
      {
        input: { tenant: record.tenant, watch: sweptWatch(record), dry_run: request.dry_run },
        wait: request.wait,
        metadata: { watch: record.name },
      },
      { internal: true, ...(request.runId ? { runId: request.runId } : {}) },
    );
    return run;
  }

  async #find(tenant: string, name: string): Promise<WatchRecord> {
    const record = await this.#options.watches.get(tenant, name);
    if (!record) throw new NotFoundError(`There is no watch named "${name}".`);
    return record;
  }

  async #resolve(tenant: string, body: WatchBody): Promise<WatchSpec> {
    const polar = this.#options.polar.forTenant(tenant);
    const issues: FieldIssue[] = [];
    const meter = await polar.getMeter(body.meter_id);
    if (!meter) issues.push({ path: "meter_id", message: "Polar has no meter with this id" });
    const product = async (ref: ProductRef, path: string) => {
      const resolved = await polar.resolveProduct(ref);
      if ("product" in resolved) return { id: resolved.product.id, name: resolved.product.name };
      issues.push({ path, message: resolved.reason });
      return null;
    };
    const upgrade = await product(body.upgrade_product, "upgrade_product");
    const current = body.current_product
      ? await product(body.current_product, "current_product")
      : null;
    if (issues.length > 0 || !upgrade) {
      throw new DomainError(
        "unknown_reference",
        `Polar does not know ${issues.map((issue) => `\`${issue.path}\``).join(", ")}.`,
        issues,
      );
    }
    return {
      meter_id: body.meter_id,
      upgrade_product: upgrade,
      current_product: current,
      threshold_pct: body.threshold_pct,
      limit: body.limit ?? null,
      require_approval: body.require_approval,
    };
  }

  async #view(record: WatchRecord): Promise<WatchView> {
    const spec = WatchSpec.parse(record.spec);
    const lastRun = record.last_sweep_run_id
      ? await this.#options.runs.get(record.tenant, record.last_sweep_run_id)
      : null;
    return {
      name: record.name,
      ...spec,
      schedule: record.schedule,
      enabled: record.enabled,
      last_sweep:
        record.last_sweep_run_id && record.last_sweep_at
          ? {
              run_id: record.last_sweep_run_id,
              started_at: record.last_sweep_at,
              status: lastRun?.status ?? null,
            }
          : null,
      next_sweep_at: record.next_sweep_at,
      created_at: record.created_at,
      updated_at: record.updated_at,
    };
  }
}

/** What a sweep (or a webhook) needs of a stored watch. */
export function sweptWatch(record: WatchRecord): SweptWatchType {
  const spec = WatchSpec.parse(record.spec);
  return SweptWatch.parse({
    name: record.name,
    meter_id: spec.meter_id,
    upgrade_product_id: spec.upgrade_product.id,
    current_product_id: spec.current_product?.id ?? null,
    threshold_pct: spec.threshold_pct,
    limit: spec.limit,
    require_approval: spec.require_approval,
  });
}
