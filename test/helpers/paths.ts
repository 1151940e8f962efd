// Where the tests find the built bundles and the generated models (see `npm run fixtures`).
import path from "node:path";

export const ROOT = path.resolve(__dirname, "../..");
export const DIST = path.join(ROOT, "dist");
export const CLI = path.join(DIST, "cli.js");
export const WORKER = path.join(DIST, "worker.js");
export const MODELS = path.join(ROOT, "test/.models");
export const TINY = path.join(MODELS, "tiny.gguf");
export const QWEN05 = path.join(MODELS, "qwen05-q4_0.gguf");
export const SCRIPTED = path.join(MODELS, "scripted.gguf");
export const BIGRAM = path.join(MODELS, "bigram.gguf");
export const TINY_ONNX = path.join(MODELS, "tiny-onnx");
export const QWEN05_ONNX = path.join(MODELS, "qwen05-int4-onnx");
