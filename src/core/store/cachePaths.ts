// Whether a folder inside the cache is reached without passing through a link. The cache is shared
// with other tools and programs; a link planted in it (a snapshot's subfolder pointing at the home
// folder) must not make Squeeze write or delete outside it. The cache folder itself may be a link
// (a cache moved to another disk): paths are compared below its real location.
import { realpath } from "node:fs/promises";
import path from "node:path";
import { StoreError } from "./storeError";

/** `dir`'s real location when it lies under `cacheDir` with no link on the way; undefined otherwise (or when absent). */
export async function realInsideCache(cacheDir: string, dir: string): Promise<string | undefined> {
  const relative = path.relative(path.resolve(cacheDir), path.resolve(dir));
  if (relative.startsWith("..") || path.isAbsolute(relative)) return undefined;
  const [realCache, realDir] = await Promise.all([realpath(cacheDir), realpath(dir)]).catch(() => [undefined, undefined]);
  if (!realCache || !realDir) return undefined;
  return realDir === path.join(realCache, relative) ? realDir : undefined;
}

/** Throws unless `dir` (existing) is inside the cache with no link on the way. */
export async function checkInsideCache(cacheDir: string, dir: string): Promise<void> {
  if (!(await realInsideCache(cacheDir, dir))) {
    throw new StoreError("write_failed", `${dir} is reached through a link out of the models folder, so nothing is written there: remove the link`);
  }
}
