// The backends the engine worker can run, by name.
import type { Backend, BackendName } from "../engine/types";
import { LlamaCppBackend } from "./llamacpp/llamaCppBackend";
import { OnnxBackend } from "./onnx/onnxBackend";

export function createBackend(name: BackendName): Backend {
  switch (name) {
    case "llama.cpp":
      return new LlamaCppBackend();
    case "onnx":
      return new OnnxBackend();
  }
}
