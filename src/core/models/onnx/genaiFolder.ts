// An ONNX Runtime GenAI model folder: genai_config.json, the decoder's .onnx file and its
// external data, the tokenizer files and optional chat template and Ryzen AI settings.
// inspectGenaiFolder reads and cross-checks all of it in JavaScript, so onnxruntime is only
// ever handed a folder whose files are whole and agree with each other.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { EngineError } from "../../protocol/errors";
import { InvalidModelError } from "../invalidModelError";
import { layerName, parseGenaiConfig, type GenaiConfig } from "./genaiConfig";
import { BUILT_IN_DOMAINS, readOnnxGraph, type OnnxGraph, type ValueInfo } from "./onnxGraph";

export interface GenaiFolder {
  dir: string;
  config: GenaiConfig;
  modelPath: string;
  graph: OnnxGraph;
  /** Built once here, where it is checked, and used as is by the backend. */
  tokenizer: Tokenizer;
  tokenizerConfig: Record<string, unknown>;
  /** From chat_template.jinja or tokenizer_config.json; undefined when the model has none. */
  chatTemplate: string | undefined;
  /** Ryzen AI's limit on prompt tokens (rai_config.json), where the folder sets one. */
  maxPromptLength: number | undefined;
  /** Element type of the KV cache ("float32" or "float16"). */
  kvType: "float32" | "float16";
  /** Vocabulary size the logits cover. */
  vocabSize: number;
}

/** Execution providers that live outside onnxruntime-node: folders naming them need AMD's runtime. */
const FOREIGN_PROVIDERS = new Set(["vitisai", "ryzenai"]);

export async function inspectGenaiFolder(dir: string): Promise<GenaiFolder> {
  const fail = failFor(dir);
  const config = await readGenaiConfig(dir);
  if (config.model.decoder.pipeline !== undefined) fail("its decoder is a pipeline of several models, which Squeeze does not run");
  requireInProcessRuntime(dir, config);

  const modelPath = await decoderFile(dir, config);
  const graph = await readOnnxGraph(modelPath).catch((err: Error) => fail(err.message));
  requireBuiltInOperators(dir, graph);
  const kvType = checkGraph(config, graph, fail);

  const { tokenizer, config: tokenizerConfig } = (await readTokenizer(dir)) ?? fail("it has no tokenizer.json");
  const vocabSize = logitsWidth(config, graph, fail);
  const tokenizerSize = Math.max(...tokenizer.get_vocab(true).values()) + 1;
  if (tokenizerSize > vocabSize) {
    fail(`the tokenizer has ids up to ${tokenizerSize - 1} but the model's logits cover only ${vocabSize} tokens`);
  }
  for (const id of [config.model.eos_token_id].flat()) {
    if (id >= vocabSize) fail(`model.eos_token_id ${id} is outside the vocabulary of ${vocabSize} tokens`);
  }

  return {
    dir,
    config,
    modelPath,
    graph,
    tokenizer,
    tokenizerConfig,
    chatTemplate: (await readOptional(path.join(dir, "chat_template.jinja"))) ?? templateFrom(tokenizerConfig),
    maxPromptLength: await raiMaxPromptLength(dir),
    kvType,
    vocabSize,
  };
}

/** The folder's genai_config.json, checked against the schema: the first check of every GenAI folder. */
export async function readGenaiConfig(dir: string): Promise<GenaiConfig> {
  const fail = failFor(dir);
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => fail("the folder does not exist or cannot be read"),
  );
  if (!isDir) fail("it is not a folder (an ONNX model is a folder holding genai_config.json)");
  const configText = await readOptional(path.join(dir, "genai_config.json"));
  if (configText === undefined) fail("it has no genai_config.json, so it is not an ONNX Runtime GenAI model folder");
  return attempt(() => parseGenaiConfig(configText!), fail);
}

/** The decoder's model file (model.decoder.filename): it must lie inside the folder and exist. */
export async function decoderFile(dir: string, config: GenaiConfig): Promise<string> {
  const fail = failFor(dir);
  const { filename } = config.model.decoder;
  const file = insideFolder(dir, filename, "model.decoder.filename", fail);
  if (!(await isFile(file))) fail(`its model file ${filename} (model.decoder.filename) is missing`);
  return file;
}

/** What a folder needs from AMD Ryzen AI Software (the VitisAI provider, custom operators); empty if nothing. */
export function amdRuntimeNeeds(config: GenaiConfig): string[] {
  const options = config.model.decoder.session_options;
  const foreign = options.provider_options.flatMap(Object.keys).filter((name) => FOREIGN_PROVIDERS.has(name.toLowerCase()));
  return [
    ...foreign.map((name) => `the ${name} execution provider`),
    ...(options.custom_ops_library ? [`the custom operator library ${options.custom_ops_library}`] : []),
  ];
}

export interface FolderTokenizer {
  tokenizer: Tokenizer;
  /** tokenizer_config.json, or {} where the folder has none. */
  config: Record<string, unknown>;
}

/** tokenizer.json (with tokenizer_config.json) built into a tokenizer; undefined where the folder has no tokenizer.json. */
export async function readTokenizer(dir: string): Promise<FolderTokenizer | undefined> {
  const fail = failFor(dir);
  const tokenizerText = await readOptional(path.join(dir, "tokenizer.json"));
  if (tokenizerText === undefined) return undefined;
  const tokenizerJson = attempt(() => JSON.parse(tokenizerText) as object, (p) => fail(`tokenizer.json is not valid JSON: ${p}`));
  const configJson = await readOptional(path.join(dir, "tokenizer_config.json"));
  const config = configJson === undefined
    ? {}
    : attempt(() => JSON.parse(configJson) as Record<string, unknown>, (p) => fail(`tokenizer_config.json is not valid JSON: ${p}`));
  const tokenizer = attempt(() => new Tokenizer(tokenizerJson, config), (p) => fail(`tokenizer.json cannot be used: ${p}`));
  return { tokenizer, config };
}

/** AMD NPU and hybrid builds need the VitisAI provider and AMD's custom operators. */
function requireInProcessRuntime(dir: string, config: GenaiConfig): void {
  const needs = amdRuntimeNeeds(config);
  if (needs.length > 0) {
    throw new EngineError(
      "runtime_unavailable",
      `${dir} needs ${needs.join(" and ")} from AMD Ryzen AI Software, which onnxruntime-node does not include: ` +
        "run it through AMD's NPU runtime instead (the ryzenai backend)",
    );
  }
}

function requireBuiltInOperators(dir: string, graph: OnnxGraph): void {
  const custom = [...graph.domains].filter((d) => !BUILT_IN_DOMAINS.has(d));
  if (custom.length > 0) {
    throw new EngineError("runtime_unavailable", `${dir} uses custom operators (${custom.join(", ")}) that onnxruntime-node does not have`);
  }
  if (graph.ops.has("com.microsoft:EPContext")) {
    throw new EngineError(
      "runtime_unavailable",
      `${dir} is pre-compiled for one hardware runtime (EPContext nodes) and cannot run on onnxruntime-node`,
    );
  }
}

/** The inputs and outputs genai_config names must exist with the head layout it states. */
function checkGraph(config: GenaiConfig, graph: OnnxGraph, fail: (p: string) => never): "float32" | "float16" {
  const d = config.model.decoder;
  const input = (name: string, field: string): ValueInfo =>
    graph.inputs.get(name) ?? fail(`the model has no input "${name}" (${field} in genai_config.json)`);
  const output = (name: string, field: string): ValueInfo =>
    graph.outputs.get(name) ?? fail(`the model has no output "${name}" (${field} in genai_config.json)`);
  input(d.inputs.input_ids, "model.decoder.inputs.input_ids");
  output(d.outputs.logits, "model.decoder.outputs.logits");
  let kvType: string | undefined;
  const known = new Set([d.inputs.input_ids, d.inputs.attention_mask, d.inputs.position_ids]);
  for (let layer = 0; layer < d.num_hidden_layers; layer++) {
    const kv = [
      input(layerName(d.inputs.past_key_names, layer), "model.decoder.inputs.past_key_names"),
      input(layerName(d.inputs.past_value_names, layer), "model.decoder.inputs.past_value_names"),
      output(layerName(d.outputs.present_key_names, layer), "model.decoder.outputs.present_key_names"),
      output(layerName(d.outputs.present_value_names, layer), "model.decoder.outputs.present_value_names"),
    ];
    known.add(kv[0].name).add(kv[1].name);
    for (const v of kv) {
      const [, heads, , headSize] = v.dims;
      if (v.dims.length !== 4) fail(`${v.name} has ${v.dims.length} dimensions, not [batch, heads, sequence, head_size]`);
      if (typeof heads === "number" && heads !== d.num_key_value_heads) {
        fail(`${v.name} has ${heads} heads but model.decoder.num_key_value_heads is ${d.num_key_value_heads}`);
      }
      if (typeof headSize === "number" && headSize !== d.head_size) {
        fail(`${v.name} has head size ${headSize} but model.decoder.head_size is ${d.head_size}`);
      }
      kvType ??= v.type;
      if (v.type !== kvType) fail(`the KV cache mixes ${kvType} and ${v.type} tensors`);
    }
  }
  if (d.num_attention_heads % d.num_key_value_heads !== 0) {
    fail("model.decoder.num_attention_heads is not a multiple of model.decoder.num_key_value_heads");
  }
  if (kvType !== "float32" && kvType !== "float16") fail(`the KV cache is ${kvType}; Squeeze runs float32 and float16 models`);
  const extra = [...graph.inputs.keys()].filter((name) => !known.has(name));
  if (extra.length > 0) fail(`the model has inputs Squeeze does not know how to feed: ${extra.join(", ")}`);
  return kvType as "float32" | "float16";
}

function logitsWidth(config: GenaiConfig, graph: OnnxGraph, fail: (p: string) => never): number {
  const logits = graph.outputs.get(config.model.decoder.outputs.logits)!;
  const width = logits.dims.at(-1);
  const stated = config.model.vocab_size;
  if (typeof width === "number") {
    if (stated !== undefined && stated !== width) {
      fail(`model.vocab_size is ${stated} but the model's logits are ${width} wide`);
    }
    return width;
  }
  return stated ?? fail("neither the logits output nor model.vocab_size says how large the vocabulary is");
}

/** tokenizer_config.json's chat_template: a string, or a list of named templates. */
function templateFrom(tokenizerConfig: Record<string, unknown>): string | undefined {
  const t = tokenizerConfig.chat_template;
  if (typeof t === "string") return t;
  if (Array.isArray(t)) {
    const named = t as Array<{ name?: unknown; template?: unknown }>;
    const chosen = named.find((e) => e.name === "default") ?? named[0];
    return typeof chosen?.template === "string" ? chosen.template : undefined;
  }
  return undefined;
}

/** rai_config.json maps Ryzen AI versions to a prompt limit; the smallest one holds for all. */
async function raiMaxPromptLength(dir: string): Promise<number | undefined> {
  const text = await readOptional(path.join(dir, "rai_config.json"));
  if (text === undefined) return undefined;
  let limit: unknown;
  try {
    limit = (JSON.parse(text) as { max_prompt_length?: unknown }).max_prompt_length;
  } catch {
    throw new InvalidModelError(dir, "rai_config.json is not valid JSON");
  }
  const values = typeof limit === "object" && limit ? Object.values(limit) : [limit];
  const numbers = values.filter((v): v is number => Number.isInteger(v) && (v as number) > 0);
  return numbers.length > 0 ? Math.min(...numbers) : undefined;
}

function insideFolder(dir: string, name: string, field: string, fail: (p: string) => never): string {
  const file = path.resolve(dir, name);
  const relative = path.relative(dir, file);
  if (path.isAbsolute(name) || relative.startsWith("..") || relative === "") fail(`${field} must name a file inside the folder`);
  return file;
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}

function failFor(dir: string): (problem: string) => never {
  return (problem) => {
    throw new InvalidModelError(dir, problem);
  };
}

function attempt<T>(fn: () => T, fail: (problem: string) => never): T {
  try {
    return fn();
  } catch (err) {
    return fail((err as Error).message);
  }
}
