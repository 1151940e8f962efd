// Deleting files from the Hugging Face cache without breaking what other tools (or other
// revisions) still use: the snapshot links go, and a blob goes only when no link points at it.
import { lstat, readdir, realpath, rm } from "node:fs/promises";
import path from "node:path";
import { realInsideCache } from "./cachePaths";
import { repoCacheDir } from "./hfCache";
import { snapshotFiles } from "./localGguf";
import { pruneEmptyDirs } from "./snapshot";

/**
 * Removes `files` (paths inside one snapshot of `repo`), then the blobs no other link uses; the
 * whole repo folder when nothing is left in it. Only what lies in the repo's own folders goes: a
 * link planted in the cache never leads a deletion outside it.
 */
export async function removeCachedFiles(cacheDir: string, repo: string, files: readonly string[]): Promise<void> {
  const repoDir = repoCacheDir(cacheDir, repo);
  const snapshotsDir = path.join(repoDir, "snapshots");
  const blobsDir = await realInsideCache(cacheDir, path.join(repoDir, "blobs"));
  const candidates = new Set<string>();
  for (const link of files) {
    // Only links inside this repo's snapshots, reached without a link on the way, are ours to remove.
    if (!path.resolve(link).startsWith(snapshotsDir + path.sep)) continue;
    if (!(await realInsideCache(cacheDir, path.dirname(link)))) continue;
    const info = await lstat(link).catch(() => undefined);
    if (!info) continue;
    if (info.isSymbolicLink()) {
      const target = await realpath(link).catch(() => undefined);
      // A blob is a file directly in the repo's blobs folder; a link to anything else is only unlinked.
      if (target && blobsDir && path.dirname(target) === blobsDir) candidates.add(target);
    }
    await rm(link, { force: true });
    await pruneEmptyDirs(path.dirname(link), snapshotsDir);
  }
  const remaining = await linkedBlobs(snapshotsDir);
  if (remaining.size === 0 && (await readdir(snapshotsDir).catch(() => [])).length === 0) {
    // Nothing of this repo is left: partial downloads and refs go with it.
    await rm(repoDir, { recursive: true, force: true });
    return;
  }
  for (const blob of candidates) if (!remaining.has(blob)) await rm(blob, { force: true });
}

async function linkedBlobs(snapshotsDir: string): Promise<Set<string>> {
  const linked = new Set<string>();
  for (const snapshot of await readdir(snapshotsDir).catch(() => [] as string[])) {
    const dir = path.join(snapshotsDir, snapshot);
    for (const file of await snapshotFiles(dir)) {
      const target = await realpath(path.join(dir, file)).catch(() => undefined);
      if (target) linked.add(target);
    }
  }
  return linked;
}
