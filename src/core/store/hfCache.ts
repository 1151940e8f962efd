// Models already in the Hugging Face cache (the layout huggingface_hub and other tools share):
// <cache>/models--owner--name/{refs/<revision>, snapshots/<commit>/<files>}.
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Variant } from "../catalog/catalogSchema";
import { pathExists } from "../util/pathExists";

/** HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface, as huggingface_hub reads them. */
export function hfHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HOME) return path.resolve(env.HF_HOME);
  return path.join(env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), ".cache"), "huggingface");
}

/** HF_HUB_CACHE, else <HF_HOME>/hub. */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HF_HUB_CACHE ? path.resolve(env.HF_HUB_CACHE) : path.join(hfHome(env), "hub");
}

/** The repository's folder; callers check repo ids (names.ts, the catalog schema) so they cannot climb out. */
export function repoCacheDir(cacheDir: string, repo: string): string {
  return path.join(cacheDir, `models--${repo.replace("/", "--")}`);
}

/** The repo id a cache folder name stands for ("models--owner--name"), if it is a model repo. */
export function repoOfCacheFolder(folder: string): string | undefined {
  const match = /^models--([^/]+?)--([^/]+)$/.exec(folder);
  return match ? `${match[1]}/${match[2]}` : undefined;
}

/** The snapshot folder a revision points at, if it is in the cache. */
export async function localSnapshot(cacheDir: string, repo: string, revision = "main"): Promise<string | undefined> {
  const dir = repoCacheDir(cacheDir, repo);
  const commit = /^[0-9a-f]{40}$/.test(revision)
    ? revision
    : await readFile(path.join(dir, "refs", revision), "utf8").then((s) => s.trim(), () => undefined);
  if (!commit || !/^[0-9a-f]{40}$/.test(commit)) return undefined;
  const snapshot = path.join(dir, "snapshots", commit);
  return (await pathExists(snapshot)) ? snapshot : undefined;
}

/**
 * The local path a variant loads from (its GGUF file, or its folder), when all of it is in the
 * cache; undefined otherwise. flm variants live in FastFlowLM's own store, not here.
 */
export async function localVariantPath(cacheDir: string, variant: Variant): Promise<string | undefined> {
  if (!variant.repo || !variant.files) return undefined;
  const snapshot = await localSnapshot(cacheDir, variant.repo, variant.revision);
  if (!snapshot) return undefined;
  if (variant.recipe === "llamacpp") {
    const files = variant.files.map((f) => path.join(snapshot, f));
    const all = await Promise.all(files.map(pathExists));
    return all.every(Boolean) ? files[0] : undefined;
  }
  // A folder model: whole once its genai_config.json is linked (downloads link it last).
  return (await pathExists(path.join(snapshot, "genai_config.json"))) ? snapshot : undefined;
}
