// The built-in model catalog, checked against its schema when first read.
import catalogJson from "./catalog.json";
import { catalogSchema, type Catalog, type CatalogModel, type Variant } from "./catalogSchema";

let parsed: Catalog | undefined;

export function builtinCatalog(): Catalog {
  parsed ??= catalogSchema.parse(catalogJson);
  return parsed;
}

/** The store's id of one variant of a catalog model: what `squeeze pull` takes. */
export const variantId = (modelId: string, variant: Pick<Variant, "id">): string => `${modelId}:${variant.id}`;

export function findCatalogModel(catalog: Catalog, id: string): CatalogModel | undefined {
  return catalog.models.find((m) => m.id === id.toLowerCase());
}
