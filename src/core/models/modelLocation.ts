// Which backend runs a model the user points at: a GGUF file runs on llama.cpp; an ONNX Runtime
// GenAI folder (or its genai_config.json or .onnx file) runs on onnxruntime.
import { stat } from "node:fs/promises";
import path from "node:path";
import type { BackendName } from "../engine/types";

export interface ModelLocation {
  backend: BackendName;
  /** The GGUF file, or the folder holding genai_config.json. */
  path: string;
  /** A default public id: the file or folder name without its extension. */
  name: string;
}

export async function locateModel(given: string): Promise<ModelLocation> {
  const resolved = path.resolve(given);
  const info = await stat(resolved);
  const base = path.basename(resolved);
  if (info.isDirectory()) return { backend: "onnx", path: resolved, name: base };
  if (base === "genai_config.json" || /\.onnx$/i.test(base)) {
    const folder = path.dirname(resolved);
    return { backend: "onnx", path: folder, name: path.basename(folder) };
  }
  return { backend: "llama.cpp", path: resolved, name: base.replace(/\.gguf$/i, "") };
}
