// The same tiny model on each backend: suites that describe API behaviour run once per entry.
import { TINY, TINY_ONNX } from "./paths";

export const TINY_MODELS = [
  { backend: "llama.cpp", model: TINY },
  { backend: "onnx", model: TINY_ONNX },
] as const;
