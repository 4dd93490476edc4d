/** Benefits: found by the key of the run that made them, or created once. Never deleted. */
import { Benefit, type BenefitCreate } from "../schemas.ts";
import { PAGE_LIMIT, type PolarSdk, type PolarTransport } from "../transport.ts";

/** Benefit metadata key that ties a benefit to the run that made it. */
export const BENEFIT_KEY_FIELD = "polar_flows_key";

export class BenefitsResource {
  private readonly transport: PolarTransport;

  constructor(transport: PolarTransport) {
    this.transport = transport;
  }

  /**
   * Finds the benefit tagged with `key` in its metadata, or creates it: a retried or resumed
   * node finds the benefit it already made instead of making a second.
   */
  async findOrCreate(params: {
    key: string;
    benefit: BenefitCreate;
    metadata?: Record<string, string | number | boolean>;
  }): Promise<{ benefit: Benefit; created: boolean }> {
    const { benefit, key } = params;
    // Like checkouts: after a 5xx or a timeout the benefit may exist, so the whole
    // find-or-create is repeated, and the repeat finds it.
    return this.transport.retried("benefits.findOrCreate", async () => {
      const existing = await this.findByKey(benefit.type, key);
      if (existing) return { benefit: existing, created: false };
      return { benefit: await this.create(params), created: true };
    });
  }

  /** Creates the benefit tagged with `key` without looking first (a journal knows); no retry. */
  create(params: {
    key: string;
    benefit: BenefitCreate;
    metadata?: Record<string, string | number | boolean>;
  }): Promise<Benefit> {
    const { benefit, key } = params;
    return this.transport.write("benefits.create", Benefit, (sdk) =>
      sdk.benefits.create({
        ...benefit,
        metadata: { ...benefit.metadata, ...params.metadata, [BENEFIT_KEY_FIELD]: key },
      } as Parameters<PolarSdk["benefits"]["create"]>[0]),
    );
  }

  /** The benefit of that type tagged with `key`, or null. */
  async findByKey(type: BenefitCreate["type"], key: string): Promise<Benefit | null> {
    for await (const benefit of this.transport.items("benefits.list", Benefit, (sdk, page) =>
      sdk.benefits.list({ type, metadata: { [BENEFIT_KEY_FIELD]: key }, page, limit: PAGE_LIMIT }),
    )) {
      // The filter narrows the search; the key itself is checked here.
      if (benefit.metadata[BENEFIT_KEY_FIELD] === key) return benefit;
    }
    return null;
  }
}
