// A model named on the command line: a file or folder must exist before anything is loaded.
import { existsSync } from "node:fs";
import { FLM_PREFIX } from "../core/models/modelLocation";
import { UsageError } from "./usage";

/** Refuses a model that names a path on disk where nothing is. */
export function checkModelArgument(model: string): void {
  if (looksLikePath(model) && !existsSync(model)) throw new UsageError(`no such model file or folder: ${model}`);
}

/** Catalog and user ids are plain names; anything with a separator or a model extension is a path. */
function looksLikePath(model: string): boolean {
  if (model.startsWith(FLM_PREFIX) || /^(hf\.co|huggingface\.co)\//i.test(model)) return false;
  return /[\\/]/.test(model) || /\.(gguf|onnx|json)$/i.test(model);
}
