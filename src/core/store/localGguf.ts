// A `hf.co/owner/repo:QUANT` GGUF in the Hugging Face cache: its files, the first the one llama.cpp
// opens (it finds the other shards beside it), when every file of that quantisation is there.
import { readdir } from "node:fs/promises";
import path from "node:path";
import { ggufFilesForQuant } from "./ggufFiles";
import { localSnapshot } from "./hfCache";

export async function localGgufFiles(cacheDir: string, repo: string, quant: string, revision = "main"): Promise<string[] | undefined> {
  const snapshot = await localSnapshot(cacheDir, repo, revision);
  if (!snapshot) return undefined;
  const names = await snapshotFiles(snapshot);
  const files = ggufFilesForQuant(names, quant);
  return files.length > 0 ? files.map((f) => path.join(snapshot, f)) : undefined;
}

/** Repo-relative ('/'-separated) paths of the files linked in a snapshot. */
export async function snapshotFiles(snapshot: string): Promise<string[]> {
  const entries = await readdir(snapshot, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(snapshot, path.join(e.parentPath, e.name)).split(path.sep).join("/"));
}
