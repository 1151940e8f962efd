// The snapshot folder of a commit: one link per file pointing at its blob, as huggingface_hub
// lays it out, so other tools find the same files. Links appear only for verified blobs.
import { copyFile, link, mkdir, readdir, rename, rm, rmdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { checkInsideCache } from "./cachePaths";
import { checkRepoFile } from "./names";

/**
 * Links `file` in the snapshot to its blob: a relative symlink, else a hard link, else a copy
 * (Windows without symlink rights). Refused where a planted link would put it outside `cacheDir`.
 */
export async function linkIntoSnapshot(cacheDir: string, snapshot: string, file: string, blobPath: string): Promise<string> {
  const target = path.join(snapshot, checkRepoFile(file));
  await mkdir(path.dirname(target), { recursive: true });
  await checkInsideCache(cacheDir, path.dirname(target));
  await rm(target, { force: true });
  try {
    await symlink(path.relative(path.dirname(target), blobPath), target);
  } catch {
    await link(blobPath, target).catch(() => copyFile(blobPath, target));
  }
  return target;
}

/** Records which commit a branch or tag pointed at, as `refs/<revision>`. */
export async function writeRef(repoDir: string, revision: string, commit: string): Promise<void> {
  if (revision === commit) return;
  const ref = path.join(repoDir, "refs", checkRepoFile(revision));
  await mkdir(path.dirname(ref), { recursive: true });
  const temp = `${ref}.${process.pid}.tmp`;
  await writeFile(temp, commit);
  await rename(temp, ref);
}

/** Removes empty folders from `dir` up to (not including) `stop`. */
export async function pruneEmptyDirs(dir: string, stop: string): Promise<void> {
  for (let current = dir; current.startsWith(stop + path.sep); current = path.dirname(current)) {
    const entries = await readdir(current).catch(() => undefined);
    if (!entries || entries.length > 0) return;
    await rmdir(current).catch(() => undefined);
  }
}
