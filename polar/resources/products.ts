/**
 * Products, and the one way polar-flows resolves a product someone named: by id, or by exact
 * (case-insensitive) name among non-archived products. An archived product is never offered,
 * however it is named; several matches are never guessed between.
 */
import { Product, ProductRef } from "../schemas.ts";
import { checkInput, orNullWhenMissing, PAGE_LIMIT, type PolarTransport } from "../transport.ts";

export type ProductLookup =
  | { status: "found"; product: Product }
  | { status: "not_found" }
  /** Named by id, but archived: it cannot be sold. */
  | { status: "archived"; product: Product }
  | { status: "ambiguous"; candidates: Product[] };

/** A product to act on, or why there is none, in words for the person who named it. */
export type ProductResolution =
  | { product: Product }
  | { outcome: "product_not_found" | "product_ambiguous"; reason: string };

export class ProductsResource {
  private readonly transport: PolarTransport;

  constructor(transport: PolarTransport) {
    this.transport = transport;
  }

  /** A product by id, or by exact (case-insensitive) name among non-archived products. */
  async find(ref: ProductRef): Promise<ProductLookup> {
    checkInput(ProductRef, ref, "product");
    if ("id" in ref) {
      const product = await orNullWhenMissing(() =>
        this.transport.read("products.get", Product, (sdk) => sdk.products.get(ref.id)),
      );
      if (!product) return { status: "not_found" };
      return product.is_archived ? { status: "archived", product } : { status: "found", product };
    }
    const wanted = ref.name.trim().toLowerCase();
    const candidates: Product[] = [];
    for await (const product of this.transport.items("products.list", Product, (sdk, page) =>
      sdk.products.list({ query: ref.name.trim(), is_archived: false, page, limit: PAGE_LIMIT }),
    )) {
      if (!product.is_archived && product.name.trim().toLowerCase() === wanted)
        candidates.push(product);
    }
    if (candidates.length === 0) return { status: "not_found" };
    if (candidates.length > 1) return { status: "ambiguous", candidates };
    return { status: "found", product: candidates[0]! };
  }

  /** `find`, with every refusal as an outcome and a reason the caller can show as it is. */
  async resolve(ref: ProductRef): Promise<ProductResolution> {
    const lookup = await this.find(ref);
    switch (lookup.status) {
      case "found":
        return { product: lookup.product };
      case "not_found":
        return {
          outcome: "product_not_found",
          reason:
            "id" in ref
              ? `no product has id ${ref.id}`
              : `no active product is named "${ref.name}"`,
        };
      case "archived":
        return {
          outcome: "product_not_found",
          reason: `product ${lookup.product.id} ("${lookup.product.name}") is archived`,
        };
      case "ambiguous": {
        // Only a name can match several products.
        const name = "name" in ref ? ref.name : "";
        const ids = lookup.candidates.map((product) => product.id).join(", ");
        return {
          outcome: "product_ambiguous",
          reason: `${lookup.candidates.length} active products are named "${name}" (${ids}); name one by id`,
        };
      }
    }
  }
}
