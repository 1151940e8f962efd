// What a model takes on disk: a GGUF file, or an ONNX folder's files added up. Ollama's routes
// report it, and the model pool counts it against the memory budget.
import { readdir, stat } from "node:fs/promises";
import path from "node:path";

export async function modelDiskFacts(modelPath: string): Promise<{ size: number; modified: Date }> {
  const info = await stat(modelPath);
  if (!info.isDirectory()) return { size: info.size, modified: info.mtime };
  const entries = await readdir(modelPath, { withFileTypes: true });
  const files = await Promise.all(entries.filter((e) => e.isFile()).map((e) => stat(path.join(modelPath, e.name))));
  return {
    size: files.reduce((sum, f) => sum + f.size, 0),
    modified: new Date(Math.max(info.mtimeMs, ...files.map((f) => f.mtimeMs))),
  };
}
