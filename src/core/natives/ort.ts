// onnxruntime-node is native: load it once, lazily, and never bundle it.
type OnnxRuntime = typeof import("onnxruntime-node");

let module: Promise<OnnxRuntime> | undefined;

export function loadOnnxRuntime(): Promise<OnnxRuntime> {
  module ??= import("onnxruntime-node");
  return module;
}
