// The backends the engine worker can run, by name.
import type { Backend, BackendName } from "../engine/types";
import { LlamaCppBackend } from "./llamacpp/llamaCppBackend";

export function createBackend(name: BackendName): Backend {
  switch (name) {
    case "llama.cpp":
      return new LlamaCppBackend();
  }
}
