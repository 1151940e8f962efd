// A `hf.co/owner/repo:QUANT` GGUF in the Hugging Face cache: the snapshot file whose name
// carries the quantisation, as llama.cpp's -hf and Ollama pick it.
import { readdir } from "node:fs/promises";
import path from "node:path";
import { localSnapshot } from "./hfCache";

export async function localGguf(cacheDir: string, repo: string, quant: string, revision = "main"): Promise<string | undefined> {
  const snapshot = await localSnapshot(cacheDir, repo, revision);
  if (!snapshot) return undefined;
  const names = await readdir(snapshot, { recursive: true }).catch(() => [] as string[]);
  const pattern = new RegExp(`[-_.]${quant.replace(/[^A-Za-z0-9_]/g, "")}(-0*1-of-\\d+)?\\.gguf$`, "i");
  const match = names.filter((n) => pattern.test(n)).sort()[0];
  return match ? path.join(snapshot, match) : undefined;
}
