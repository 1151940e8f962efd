// What Ollama's /api/tags and /api/show say about a model (size, family, parameter count,
// quantization, metadata, whether it can fill in the middle), read from its files on disk.
import { createHash } from "node:crypto";
import { loadNodeLlamaCpp } from "../../../natives/nodeLlamaCpp";
import { HfTokenizer } from "../../../backends/onnx/hfTokenizer";
import type { ModelInfo } from "../../../protocol/types";
import { modelDiskFacts } from "../../../models/modelDiskFacts";
import { readTokenizer } from "../../../models/onnx/genaiFolder";

export interface ModelFacts {
  size: number;
  modifiedAt: string;
  /** Ollama's is the manifest's SHA-256; hashing a multi-GB file per request is out, so this hashes path, size and time. */
  digest: string;
  details: {
    parent_model: string;
    format: string;
    family: string;
    families: string[];
    parameter_size: string;
    quantization_level: string;
  };
  /** Flattened GGUF metadata, as Ollama shows it; long arrays (the vocabulary) are left empty, as Ollama does unless verbose. */
  modelInfo: Record<string, unknown>;
  /** The model's own chat template (Jinja, where Ollama shows a Go template), or "". */
  template: string;
  /** "completion", and "insert" where the model has fill-in-the-middle tokens. */
  capabilities: string[];
}

interface FileFacts {
  format: string;
  parameters: number | undefined;
  quantization: string;
  modelInfo: Record<string, unknown>;
  template: string;
  fim: boolean;
}

/** Facts by path, for the models loaded together (a few), so that listing them reads no file twice. */
const cache = new Map<string, Promise<ModelFacts>>();
const CACHED_MODELS = 16;

/** Never fails: what cannot be read is left blank, so listing models always works. */
export function modelFacts(model: ModelInfo): Promise<ModelFacts> {
  let facts = cache.get(model.path);
  if (!facts) {
    facts = readFacts(model);
    cache.set(model.path, facts);
    // The oldest goes first: a Map iterates in insertion order.
    if (cache.size > CACHED_MODELS) cache.delete(cache.keys().next().value!);
  }
  return facts;
}

async function readFacts(model: ModelInfo): Promise<ModelFacts> {
  const [disk, file] = await Promise.all([
    modelDiskFacts(model.path).catch(() => ({ size: 0, modified: new Date() })),
    (model.backend === "llama.cpp" ? ggufFacts(model.path) : folderFacts(model.path)).catch(() => undefined),
  ]);
  const family = model.architecture;
  return {
    size: disk.size,
    modifiedAt: disk.modified.toISOString(),
    digest: createHash("sha256").update(`${model.path}\0${disk.size}\0${disk.modified.getTime()}`).digest("hex"),
    details: {
      parent_model: "",
      format: file?.format ?? (model.backend === "llama.cpp" ? "gguf" : "onnx"),
      family,
      families: [family],
      parameter_size: file?.parameters ? humanCount(file.parameters) : "",
      quantization_level: file?.quantization ?? "",
    },
    modelInfo: {
      "general.architecture": family,
      [`${family}.context_length`]: model.trainedContextSize,
      ...file?.modelInfo,
    },
    template: file?.template ?? "",
    // Ollama's words: an embedding model "embedding" (a reranker computes no text either).
    capabilities: model.task !== "generate" ? ["embedding"] : file?.fim ? ["completion", "insert"] : ["completion"],
  };
}

async function ggufFacts(file: string): Promise<FileFacts> {
  const { readGgufFileInfo, GgufFileType } = await loadNodeLlamaCpp();
  const info = await readGgufFileInfo(file, { sourceType: "filesystem", logWarnings: false });
  const flat = flatten(info.metadata as unknown as Record<string, unknown>);
  const counted = (info.fullTensorInfo ?? info.tensorInfo ?? []).reduce(
    (sum, t) => sum + t.dimensions.reduce<number>((n, d) => n * Number(d), 1),
    0,
  );
  const parameters = typeof flat["general.parameter_count"] === "number" ? flat["general.parameter_count"] : counted;
  const fileType = flat["general.file_type"];
  const template = flat["tokenizer.chat_template"];
  delete flat["tokenizer.chat_template"];
  return {
    format: "gguf",
    parameters,
    // GgufFileType names are "MOSTLY_Q4_K_M", "ALL_F32": Ollama shows "Q4_K_M", "F32".
    quantization: typeof fileType === "number" ? (GgufFileType[fileType] ?? "").replace(/^(MOSTLY|ALL)_/, "") : "",
    modelInfo: { ...flat, "general.parameter_count": parameters },
    template: typeof template === "string" ? template : "",
    // llama.cpp reads FIM tokens from these keys (prefix_token_id is the older name).
    fim: flat["tokenizer.ggml.fim_pre_token_id"] !== undefined || flat["tokenizer.ggml.prefix_token_id"] !== undefined,
  };
}

/** An ONNX or NPU folder: what its tokenizer says; the rest of its metadata has no GGUF-like keys. */
async function folderFacts(dir: string): Promise<FileFacts> {
  const tokenizer = await readTokenizer(dir);
  return {
    format: "onnx",
    parameters: undefined,
    quantization: "",
    modelInfo: {},
    template: typeof tokenizer?.config.chat_template === "string" ? tokenizer.config.chat_template : "",
    fim: tokenizer !== undefined && new HfTokenizer(tokenizer.tokenizer, tokenizer.config).fim !== undefined,
  };
}

/** node-llama-cpp nests metadata ({general: {architecture}}); Ollama shows dotted keys. */
function flatten(value: Record<string, unknown>, prefix = "", into: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [key, v] of Object.entries(value)) {
    const name = prefix + key;
    if (Array.isArray(v)) into[name] = [];
    else if (typeof v === "bigint") into[name] = Number(v);
    else if (v !== null && typeof v === "object") flatten(v as Record<string, unknown>, `${name}.`, into);
    else into[name] = v;
  }
  return into;
}

/** Ollama's spelling of a parameter count: "494.03M", "1.5B", "7B". */
function humanCount(n: number): string {
  const scaled = (unit: number, digits: number, suffix: string) => {
    const value = n / unit;
    return `${Number.isInteger(value) ? value : value.toFixed(digits)}${suffix}`;
  };
  if (n >= 1e9) return scaled(1e9, 1, "B");
  if (n >= 1e6) return scaled(1e6, 2, "M");
  if (n >= 1e3) return scaled(1e3, 0, "K");
  return String(n);
}
