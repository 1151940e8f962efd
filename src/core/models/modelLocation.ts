// Which backend runs a model the user points at: a GGUF file runs on llama.cpp; an ONNX Runtime
// GenAI folder (or its genai_config.json or .onnx file) runs on onnxruntime, unless it is built for
// AMD's NPU, which only AMD's runtime server runs; "flm:<tag>" names a FastFlowLM model.
import { stat } from "node:fs/promises";
import path from "node:path";
import type { BackendName } from "../protocol/types";
import { amdRuntimeNeeds, readGenaiConfig } from "./onnx/genaiFolder";

export interface ModelLocation {
  backend: BackendName;
  /** The GGUF file, the folder holding genai_config.json, or a FastFlowLM tag. */
  path: string;
  /** A default public id: the file or folder name without its extension, or the tag. */
  name: string;
}

export const FLM_PREFIX = "flm:";

export async function locateModel(given: string): Promise<ModelLocation> {
  if (given.startsWith(FLM_PREFIX)) {
    const tag = given.slice(FLM_PREFIX.length);
    return { backend: "flm", path: tag, name: tag };
  }
  const resolved = path.resolve(given);
  const info = await stat(resolved);
  const base = path.basename(resolved);
  if (info.isDirectory()) return genaiFolder(resolved);
  if (base === "genai_config.json" || /\.onnx$/i.test(base)) return genaiFolder(path.dirname(resolved));
  return { backend: "llama.cpp", path: resolved, name: base.replace(/\.gguf$/i, "") };
}

async function genaiFolder(folder: string): Promise<ModelLocation> {
  // A folder whose config cannot be read goes to onnx, whose check names what is wrong with it.
  const config = await readGenaiConfig(folder).catch(() => undefined);
  const backend = config && amdRuntimeNeeds(config).length > 0 ? "ryzenai" : "onnx";
  return { backend, path: folder, name: path.basename(folder) };
}
