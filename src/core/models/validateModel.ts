// The check every model passes before any native runtime is handed it.
import { EngineError } from "../engine/errors";
import type { LoadSpec } from "../engine/types";
import { validateGguf } from "./gguf/validateGguf";
import { inspectGenaiFolder } from "./onnx/genaiFolder";

export async function validateModel(spec: LoadSpec): Promise<void> {
  try {
    switch (spec.backend) {
      case "llama.cpp":
        await validateGguf(spec.path);
        return;
      case "onnx":
        await inspectGenaiFolder(spec.path);
        return;
    }
  } catch (err) {
    // Errors that already say what kind they are (a folder that needs another runtime) keep their code.
    if (err instanceof EngineError) throw err;
    throw new EngineError("invalid_model", (err as Error).message);
  }
}
