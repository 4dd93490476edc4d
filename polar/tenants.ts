/**
 * Each tenant's Polar: its own organization's token (`POLAR_TOKENS`), else the shared one. One
 * gateway per token — one connection and one request budget per organization, as Polar counts
 * it — and each tenant's calls go through its own view of it, so the budget is shared fairly.
 */
import type { PolarForTenants, PolarGateway } from "./gateway.ts";

export class TenantGateways implements PolarForTenants {
  private readonly shared: PolarGateway;
  private readonly byTenant: ReadonlyMap<string, PolarGateway>;

  /** `byTenant`: the gateway of each tenant with a token of its own; the others use `shared`. */
  constructor(shared: PolarGateway, byTenant: ReadonlyMap<string, PolarGateway>) {
    this.shared = shared;
    this.byTenant = byTenant;
  }

  forTenant(tenant: string): PolarGateway {
    return (this.byTenant.get(tenant) ?? this.shared).forTenant(tenant);
  }
}
