// The check every model passes before any native runtime is handed it.
import { EngineError } from "../engine/errors";
import type { LoadSpec } from "../engine/types";
import { validateGguf } from "./gguf/validateGguf";

export async function validateModel(spec: LoadSpec): Promise<void> {
  try {
    switch (spec.backend) {
      case "llama.cpp":
        await validateGguf(spec.path);
        return;
    }
  } catch (err) {
    throw new EngineError("invalid_model", (err as Error).message);
  }
}
