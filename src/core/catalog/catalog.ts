// The built-in model catalog, checked against its schema when first read.
import catalogJson from "./catalog.json";
import { catalogSchema, type Catalog, type CatalogModel } from "./catalogSchema";

let parsed: Catalog | undefined;

export function builtinCatalog(): Catalog {
  parsed ??= catalogSchema.parse(catalogJson);
  return parsed;
}

export function findCatalogModel(catalog: Catalog, id: string): CatalogModel | undefined {
  return catalog.models.find((m) => m.id === id);
}
