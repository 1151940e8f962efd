// Puts files into a Hugging Face cache folder the way huggingface_hub lays them out: blobs named
// by hash, snapshot links by commit, and refs/main naming the commit.
import { createHash } from "node:crypto";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";

/** files: name in the repo → the bytes, or the path of a file to take them from. */
export async function putInCache(cacheDir: string, repo: string, files: Record<string, Buffer | string>, revision = "main"): Promise<string> {
  const repoDir = path.join(cacheDir, `models--${repo.replace("/", "--")}`);
  const commit = createHash("sha1").update(`${repo}@${revision}`).digest("hex");
  const snapshot = path.join(repoDir, "snapshots", commit);
  await mkdir(path.join(repoDir, "blobs"), { recursive: true });
  await mkdir(path.join(repoDir, "refs"), { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    const bytes = typeof content === "string" ? await readFile(content) : content;
    const hash = createHash("sha256").update(bytes).digest("hex");
    await writeFile(path.join(repoDir, "blobs", hash), bytes);
    const link = path.join(snapshot, name);
    await mkdir(path.dirname(link), { recursive: true });
    await symlink(path.relative(path.dirname(link), path.join(repoDir, "blobs", hash)), link);
  }
  await writeFile(path.join(repoDir, "refs", revision), commit);
  return snapshot;
}
