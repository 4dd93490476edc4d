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
    return describeLookup(ref, await this.find(ref));
  }

  /**
   * Several products from one product list (one request for up to 100 products): each of
   * `refs` resolved as `resolve` would, and every product listed, by id — `alsoIds` (say, the
   * products of a customer's subscriptions) are listed too. All named by id: the list is
   * filtered by those ids; a name among them: the organization's products are listed whole.
   */
  async resolveAll(
    refs: readonly ProductRef[],
    alsoIds: readonly string[] = [],
  ): Promise<{ resolutions: ProductResolution[]; byId: Map<string, Product> }> {
    for (const [index, ref] of refs.entries()) checkInput(ProductRef, ref, `products.${index}`);
    const ids = [...new Set([...refs.flatMap((ref) => ("id" in ref ? [ref.id] : [])), ...alsoIds])];
    const byName = refs.some((ref) => "name" in ref);
    const byId = new Map<string, Product>();
    // Archived products are listed too: one named by id is refused as archived, not unknown.
    for await (const product of this.transport.items("products.list", Product, (sdk, page) =>
      sdk.products.list({ ...(byName ? {} : { id: ids }), page, limit: PAGE_LIMIT }),
    )) {
      byId.set(product.id, product);
    }
    const resolutions = refs.map((ref) => describeLookup(ref, lookupIn(byId, ref)));
    return { resolutions, byId };
  }
}

/** `find`'s answer from products already listed (archived ones included). */
function lookupIn(products: ReadonlyMap<string, Product>, ref: ProductRef): ProductLookup {
  if ("id" in ref) {
    const product = products.get(ref.id);
    if (!product) return { status: "not_found" };
    return product.is_archived ? { status: "archived", product } : { status: "found", product };
  }
  const wanted = ref.name.trim().toLowerCase();
  const candidates = [...products.values()].filter(
    (product) => !product.is_archived && product.name.trim().toLowerCase() === wanted,
  );
  if (candidates.length === 0) return { status: "not_found" };
  if (candidates.length > 1) return { status: "ambiguous", candidates };
  return { status: "found", product: candidates[0]! };
}

function describeLookup(ref: ProductRef, lookup: ProductLookup): ProductResolution {
  switch (lookup.status) {
    case "found":
      return { product: lookup.product };
    case "not_found":
      return {
        outcome: "product_not_found",
        reason:
          "id" in ref ? `no product has id ${ref.id}` : `no active product is named "${ref.name}"`,
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
