// The models Squeeze can run from disk, and pulling and deleting them by id:
// - catalog models ("qwen2.5-coder-1.5b-instruct", the variant this machine runs best, or
//   "qwen2.5-coder-1.5b-instruct:q8_0", one variant named);
// - any GGUF on Hugging Face ("hf.co/owner/repo:QUANT");
// - the user's own models (models.json: hf.co sources, or files imported from disk).
// Everything downloaded lives in the Hugging Face cache, shared with other tools; GGUFs other
// tools put there are listed as hf.co ids.
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { builtinCatalog, findCatalogModel, variantId } from "../catalog/catalog";
import { RECIPE_BACKEND, type Capability, type Catalog, type CatalogModel, type Recipe, type Variant } from "../catalog/catalogSchema";
import { UserCatalog, parseModelSource, type UserModel } from "../catalog/userCatalog";
import type { BackendName } from "../protocol/types";
import { ggufFilesForQuant, ggufQuants } from "./ggufFiles";
import { localSnapshot, localVariantPath, repoOfCacheFolder } from "./hfCache";
import type { RemoteFile } from "./hubClient";
import type { HubSettings } from "./hubSettings";
import { localGgufFiles, snapshotFiles } from "./localGguf";
import { checkModelId, checkRepoId } from "./names";
import { pullRepoFiles, type PullOptions } from "./pull";
import { removeCachedFiles } from "./removeFiles";
import { StoreError } from "./storeError";

export interface StoredModel {
  /** What pull, rm, serve --model and the API accept. */
  id: string;
  name: string;
  source: "catalog" | "huggingface" | "user";
  repo?: string;
  recipe: Recipe;
  backend: BackendName;
  /** What the backend loads: the (first) GGUF file or the model folder. */
  path: string;
  files: string[];
  sizeBytes: number;
  capabilities: Capability[];
}

/** A catalog variant, downloaded or not, for listings of what can be pulled. */
export interface CatalogEntry {
  id: string;
  model: CatalogModel;
  variant: Variant;
  downloaded: boolean;
}

/** Which variant of a catalog model to pull when none is named, and why (the hardware selection). */
export type VariantPicker = (model: CatalogModel) => Promise<{ variant: Variant; why: string }>;

/**
 * What a model id names, on disk or not: the one reading of ids for pull, rm, serve --model,
 * the API's loads and the editor. Ids are read leniently: `huggingface.co/` for `hf.co/`, catalog
 * ids and variants in any case.
 */
export type ModelRef =
  | { kind: "catalog"; id: string; model: CatalogModel; variant: Variant }
  | { kind: "catalog-model"; id: string; model: CatalogModel }
  | { kind: "hf"; id: string; repo: string; quant: string }
  | { kind: "user"; id: string; user: UserModel };

export class ModelStore {
  readonly users: UserCatalog;

  constructor(
    readonly settings: HubSettings,
    userCatalogFile: string,
    private readonly pickVariant: VariantPicker,
    readonly catalog: Catalog = builtinCatalog(),
  ) {
    this.users = new UserCatalog(userCatalogFile);
  }

  get cacheDir(): string {
    return this.settings.cacheDir;
  }

  /** Everything runnable from disk, catalog variants first. */
  async list(): Promise<StoredModel[]> {
    const found: StoredModel[] = [];
    for (const entry of await this.catalogEntries()) {
      if (entry.downloaded) found.push(await this.describeVariant(entry.model, entry.variant));
    }
    for (const user of await this.users.list()) {
      const stored = await this.describeUser(user);
      if (stored) found.push(stored);
    }
    const taken = new Set(found.flatMap((m) => m.files));
    for (const other of await this.otherGgufs()) {
      if (!other.files.some((f) => taken.has(f))) found.push(other);
    }
    return found;
  }

  async catalogEntries(): Promise<CatalogEntry[]> {
    const entries: CatalogEntry[] = [];
    for (const model of this.catalog.models) {
      for (const variant of model.variants) {
        const downloaded = variant.repo ? (await localVariantPath(this.cacheDir, variant)) !== undefined : false;
        entries.push({ id: variantId(model.id, variant), model, variant, downloaded });
      }
    }
    return entries;
  }

  /** Downloads `id` unless it is already whole in the cache; resolves with the model as stored. */
  async pull(id: string, options: PullOptions & { onChoice?: (why: string) => void } = {}): Promise<StoredModel> {
    let target = await this.resolve(id);
    if (target.kind === "catalog-model") {
      const { variant, why } = await this.pickVariant(target.model);
      options.onChoice?.(why);
      target = { kind: "catalog", id: variantId(target.model.id, variant), model: target.model, variant };
    }
    switch (target.kind) {
      case "catalog":
        return this.pullVariant(target.model, target.variant, options);
      case "hf":
        return this.pullGguf(target.repo, target.quant, target.id, options);
      case "user": {
        const existing = await this.describeUser(target.user);
        if (existing) return existing;
        const source = parseModelSource(target.user.source);
        if (source.kind === "path") throw new StoreError("not_found", `${target.id} points at ${source.path}, which is gone: remove it with "squeeze rm ${target.id}"`);
        return { ...(await this.pullGguf(source.repo, source.quant, target.id, options)), id: target.id, source: "user" };
      }
    }
  }

  /** Deletes `id`'s files from the cache (imported files stay where they are; only their entry goes). */
  async remove(id: string): Promise<StoredModel[]> {
    const target = await this.resolve(id);
    const installed = await this.installed(target);
    if (target.kind === "user") await this.users.remove(target.id);
    else if (installed.length === 0) throw new StoreError("not_found", `${id} is not downloaded`);
    for (const model of installed) {
      // Files imported from other tools' folders have no repo: they stay.
      if (model.repo) await removeCachedFiles(this.cacheDir, model.repo, model.files);
    }
    return installed;
  }

  /** The stored model `id` names, if it is on disk. */
  async find(id: string): Promise<StoredModel | undefined> {
    const target = await this.resolve(id);
    const installed = await this.installed(target);
    return installed[0];
  }

  /** What of `target` is on disk (every downloaded variant, for a catalog model named without one). */
  async installed(target: ModelRef): Promise<StoredModel[]> {
    switch (target.kind) {
      case "catalog":
        return (await localVariantPath(this.cacheDir, target.variant)) ? [await this.describeVariant(target.model, target.variant)] : [];
      case "catalog-model": {
        const all = await this.catalogEntries();
        return Promise.all(all.filter((e) => e.model.id === target.model.id && e.downloaded).map((e) => this.describeVariant(e.model, e.variant)));
      }
      case "hf": {
        const stored = await this.describeGguf(target.repo, target.quant, target.id);
        return stored ? [stored] : [];
      }
      case "user": {
        const stored = await this.describeUser(target.user);
        return stored ? [stored] : [];
      }
    }
  }

  /** What `idText` names; a StoreError (invalid_name, not_found) says why it names nothing. */
  async resolve(idText: string): Promise<ModelRef> {
    const id = checkModelId(idText.trim());
    if (/^(hf\.co|huggingface\.co)\//i.test(id)) {
      const source = parseModelSource(id.replace(/^huggingface\.co\//i, "hf.co/"));
      if (source.kind !== "hf") throw new StoreError("invalid_name", `"${id}" is not of the form hf.co/owner/repo:QUANT`);
      checkRepoId(source.repo);
      return { kind: "hf", id: `hf.co/${source.repo}:${source.quant}`, repo: source.repo, quant: source.quant };
    }
    const [modelId, variantName, ...rest] = id.split(":");
    const model = findCatalogModel(this.catalog, modelId);
    if (model && rest.length === 0) {
      if (variantName === undefined) return { kind: "catalog-model", id, model };
      const variant = model.variants.find((v) => v.id === variantName.toLowerCase());
      if (!variant) {
        throw new StoreError("not_found", `${model.id} has no variant "${variantName}"; it has ${model.variants.map((v) => v.id).join(", ")}`);
      }
      return { kind: "catalog", id: variantId(model.id, variant), model, variant };
    }
    const user = (await this.users.list()).find((m) => m.id === id);
    if (user) return { kind: "user", id, user };
    throw new StoreError("not_found", `"${id}" is not a catalog model ("squeeze list --all" shows them), a user model, or hf.co/owner/repo:QUANT`);
  }

  private async pullVariant(model: CatalogModel, variant: Variant, options: PullOptions): Promise<StoredModel> {
    const id = variantId(model.id, variant);
    if (!variant.repo || !variant.files) {
      throw new StoreError("invalid_name", `${id} is a FastFlowLM model, which FastFlowLM downloads itself: run "flm pull ${variant.tag}"`);
    }
    if (!(await localVariantPath(this.cacheDir, variant))) {
      const patterns = variant.files.map(globPattern);
      await pullRepoFiles(this.settings, variant.repo, variant.revision ?? "main", (files) => {
        const picked = files.filter((f) => patterns.some((p) => p.test(f.path)));
        const missing = variant.files!.filter((name) => !name.includes("*") && !files.some((f) => f.path === name));
        if (missing.length > 0) throw new StoreError("not_found", `${variant.repo} has no ${missing.join(", ")} (needed by ${id})`);
        return picked;
      }, options);
    }
    return this.describeVariant(model, variant);
  }

  private async pullGguf(repo: string, quant: string, id: string, options: PullOptions): Promise<StoredModel> {
    const existing = await this.describeGguf(repo, quant, id);
    if (existing) return existing;
    await pullRepoFiles(this.settings, repo, "main", (files) => pickGguf(files, repo, quant), options);
    const stored = await this.describeGguf(repo, quant, id);
    if (!stored) throw new StoreError("invalid_response", `${id} was downloaded but its files are not where they should be in ${this.cacheDir}`);
    return stored;
  }

  private async describeVariant(model: CatalogModel, variant: Variant): Promise<StoredModel> {
    const loadPath = (await localVariantPath(this.cacheDir, variant))!;
    const files = variant.recipe === "llamacpp" ? variant.files!.map((f) => path.join(path.dirname(loadPath), f)) : (await snapshotFiles(loadPath)).map((f) => path.join(loadPath, f));
    return {
      id: variantId(model.id, variant),
      name: `${model.name} (${variant.quant ?? variant.id})`,
      source: "catalog",
      repo: variant.repo,
      recipe: variant.recipe,
      backend: RECIPE_BACKEND[variant.recipe],
      path: loadPath,
      files,
      sizeBytes: await totalSize(files),
      capabilities: model.capabilities,
    };
  }

  private async describeGguf(repo: string, quant: string, id: string): Promise<StoredModel | undefined> {
    const files = await localGgufFiles(this.cacheDir, repo, quant);
    if (!files) return undefined;
    return {
      id,
      name: `${repo} (${quant})`,
      source: "huggingface",
      repo,
      recipe: "llamacpp",
      backend: "llama.cpp",
      path: files[0],
      files,
      sizeBytes: await totalSize(files),
      capabilities: ["chat"],
    };
  }

  private async describeUser(user: UserModel): Promise<StoredModel | undefined> {
    const source = parseModelSource(user.source);
    if (source.kind === "hf") {
      const stored = await this.describeGguf(source.repo, source.quant, user.id);
      return stored && { ...stored, source: "user", name: user.id, capabilities: user.capabilities };
    }
    const info = await stat(source.path).catch(() => undefined);
    if (!info) return undefined;
    const files = info.isDirectory() ? (await snapshotFiles(source.path)).map((f) => path.join(source.path, f)) : [source.path];
    return {
      id: user.id,
      name: user.id,
      source: "user",
      recipe: user.backend === "llama.cpp" ? "llamacpp" : user.backend === "ryzenai" ? "ryzenai-hybrid" : "onnx-cpu",
      backend: user.backend,
      path: source.path,
      files,
      sizeBytes: await totalSize(files),
      capabilities: user.capabilities,
    };
  }

  /** GGUFs in the cache that no catalog entry or user model names (pulled by id, or by other tools). */
  private async otherGgufs(): Promise<StoredModel[]> {
    const found: StoredModel[] = [];
    for (const folder of await readdir(this.cacheDir).catch(() => [] as string[])) {
      const repo = repoOfCacheFolder(folder);
      const snapshot = repo && (await localSnapshot(this.cacheDir, repo));
      if (!repo || !snapshot) continue;
      for (const quant of ggufQuants(await snapshotFiles(snapshot))) {
        const stored = await this.describeGguf(repo, quant, `hf.co/${repo}:${quant}`);
        if (stored) found.push(stored);
      }
    }
    return found;
  }
}

function pickGguf(files: RemoteFile[], repo: string, quant: string): RemoteFile[] {
  const paths = files.map((f) => f.path);
  const wanted = ggufFilesForQuant(paths, quant);
  if (wanted.length === 0) {
    const offered = ggufQuants(paths);
    throw new StoreError(
      "not_found",
      offered.length > 0 ? `${repo} has no ${quant} GGUF; it offers ${offered.join(", ")}` : `${repo} has no GGUF files`,
    );
  }
  return wanted.map((p) => files.find((f) => f.path === p)!);
}

/** "*" is every file; other globs match within one folder level per "*". */
function globPattern(glob: string): RegExp {
  if (glob === "*") return /^/;
  const escaped = glob.replace(/[.+^${}()|[\]\\?]/g, "\\$&").replace(/\*/g, "[^/]*");
  return new RegExp(`^${escaped}$`);
}

async function totalSize(files: string[]): Promise<number> {
  const sizes = await Promise.all(files.map((f) => stat(f).then((s) => s.size, () => 0)));
  return sizes.reduce((a, b) => a + b, 0);
}
