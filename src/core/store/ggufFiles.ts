// Which GGUF files in a repository make up one quantisation, as llama.cpp's -hf and Ollama pick
// them: a name ending in "-QUANT.gguf" (any of - _ .), or all shards "-QUANT-0000k-of-0000n.gguf".
import path from "node:path";

const SHARD = /-(\d{5})-of-(\d{5})\.gguf$/i;

/** The files of `quant` among `paths` (repo-relative), first shard first; empty when it is not there or a shard is missing. */
export function ggufFilesForQuant(paths: readonly string[], quant: string): string[] {
  const q = quant.replace(/[^A-Za-z0-9_]/g, "");
  const pattern = new RegExp(`[-_.]${q}(-\\d{5}-of-\\d{5})?\\.gguf$`, "i");
  const matches = paths.filter((p) => pattern.test(p) && !isProjector(p)).sort();
  const single = matches.find((p) => !SHARD.test(p));
  if (single) return [single];
  const first = matches[0];
  if (!first) return [];
  const count = Number(SHARD.exec(first)![2]);
  const base = first.replace(SHARD, "");
  const shards = matches.filter((p) => p.replace(SHARD, "") === base);
  return shards.length === count ? shards : [];
}

/** The quantisations a repository offers, from its GGUF file names. */
export function ggufQuants(paths: readonly string[]): string[] {
  const quants = new Set<string>();
  for (const p of paths) {
    if (!/\.gguf$/i.test(p) || isProjector(p)) continue;
    const match = /[-_.]((?:UD-)?I?Q\d[A-Za-z0-9_]*|F16|BF16|F32)(?:-\d{5}-of-\d{5})?\.gguf$/i.exec(path.posix.basename(p));
    if (match) quants.add(match[1].toUpperCase());
  }
  return [...quants].sort();
}

/** Vision projectors sit beside the model GGUF and are never the model. */
function isProjector(p: string): boolean {
  return /(^|\/)mmproj/i.test(p);
}
