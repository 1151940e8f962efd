// The check every model passes before any native runtime is handed it.
import { EngineError } from "../protocol/errors";
import type { LoadSpec } from "../protocol/types";
import { requireNpuRuntime } from "../hardware/npuRuntimes";
import { validateGguf } from "./gguf/validateGguf";
import { checkFlmTag, inspectNpuFolder } from "./npuModel";
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
      case "ryzenai":
        await inspectNpuFolder(spec.path);
        await requireNpuRuntime("ryzenai-server");
        return;
      case "flm":
        checkFlmTag(spec.path);
        await requireNpuRuntime("flm");
        return;
    }
  } catch (err) {
    throw modelError(err);
  }
}

/** A failed model check as the engine reports it: errors that already say what kind they are (a folder that needs another runtime) keep their code. */
export function modelError(err: unknown): EngineError {
  return err instanceof EngineError ? err : new EngineError("invalid_model", (err as Error).message);
}
