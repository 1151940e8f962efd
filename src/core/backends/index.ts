// The backends the engine worker can run, by name.
import type { Backend, BackendName } from "../protocol/types";
import { LlamaCppBackend } from "./llamacpp/llamaCppBackend";
import { NpuRuntimeBackend } from "./npu/npuRuntimeBackend";
import { FLM, RYZENAI_SERVER } from "./npu/runtimeDescriptors";
import { OnnxBackend } from "./onnx/onnxBackend";

export function createBackend(name: BackendName): Backend {
  switch (name) {
    case "llama.cpp":
      return new LlamaCppBackend();
    case "onnx":
      return new OnnxBackend();
    case "ryzenai":
      return new NpuRuntimeBackend(RYZENAI_SERVER);
    case "flm":
      return new NpuRuntimeBackend(FLM);
  }
}
