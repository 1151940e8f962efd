// GGUF files other local AI tools already downloaded (LM Studio's models folder, Ollama's blobs),
// so users can run them in Squeeze without a second multi-gigabyte copy.
import { readdir, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathExists } from "../util/pathExists";

export interface ForeignGguf {
  tool: "lmstudio" | "ollama";
  /** How the tool names it: "publisher/repo/file.gguf" or "qwen2.5-coder:1.5b". */
  name: string;
  path: string;
}

export async function findForeignGgufs(env: NodeJS.ProcessEnv = process.env): Promise<ForeignGguf[]> {
  return [...(await lmStudioGgufs(env)), ...(await ollamaGgufs(env))];
}

function lmStudioDirs(env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME ?? os.homedir();
  return [env.LMSTUDIO_MODELS, path.join(home, ".lmstudio", "models"), path.join(home, ".cache", "lm-studio", "models")].filter((d): d is string => !!d);
}

/** LM Studio keeps models as <models>/<publisher>/<repo>/<file>.gguf. */
async function lmStudioGgufs(env: NodeJS.ProcessEnv): Promise<ForeignGguf[]> {
  const found: ForeignGguf[] = [];
  for (const dir of lmStudioDirs(env)) {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.isDirectory() || !/\.gguf$/i.test(e.name) || /^mmproj/i.test(e.name)) continue;
      const file = path.join(e.parentPath, e.name);
      found.push({ tool: "lmstudio", name: path.relative(dir, file).split(path.sep).join("/"), path: file });
    }
  }
  return found;
}

/** Ollama: manifests/<host>/<namespace>/<model>/<tag> name a model layer blobs/sha256-<hex>, which is a GGUF. */
async function ollamaGgufs(env: NodeJS.ProcessEnv): Promise<ForeignGguf[]> {
  const home = env.HOME ?? os.homedir();
  const roots = [env.OLLAMA_MODELS, path.join(home, ".ollama", "models"), "/usr/share/ollama/.ollama/models"].filter((d): d is string => !!d);
  const found: ForeignGguf[] = [];
  for (const root of roots) {
    const manifests = path.join(root, "manifests");
    const entries = await readdir(manifests, { recursive: true, withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.isDirectory()) continue;
      const file = path.join(e.parentPath, e.name);
      const [host, namespace, model, tag] = path.relative(manifests, file).split(path.sep);
      if (!tag) continue;
      const digest = await modelLayer(file);
      const blob = digest && path.join(root, "blobs", digest.replace(":", "-"));
      if (!blob || !(await pathExists(blob))) continue;
      const short = host === "registry.ollama.ai" ? (namespace === "library" ? model : `${namespace}/${model}`) : `${host}/${namespace}/${model}`;
      found.push({ tool: "ollama", name: `${short}:${tag}`, path: blob });
    }
  }
  return found;
}

async function modelLayer(manifest: string): Promise<string | undefined> {
  try {
    const json = JSON.parse(await readFile(manifest, "utf8")) as { layers?: { mediaType?: unknown; digest?: unknown }[] };
    const layer = json.layers?.find((l) => l.mediaType === "application/vnd.ollama.image.model");
    return typeof layer?.digest === "string" && /^sha256:[0-9a-f]{64}$/.test(layer.digest) ? layer.digest : undefined;
  } catch {
    return undefined;
  }
}
