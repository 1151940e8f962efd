// The ONNX Runtime GenAI fixture folders against their GGUF twins: llama.cpp and ONNX Runtime
// decode the same greedy tokens, and both tokenizers give the same ids.
import { openLlama } from "../../src/core/backends/llamacpp/llamaRuntime";
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import type { Llama, LlamaModel, Token } from "node-llama-cpp";
import { onnx } from "onnx-proto";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { MODEL_FILE, QWEN05_ONNX, TINY_ONNX, type OnnxModelConfig } from "../fixtures/onnxModels";
import { IO, perLayer } from "../fixtures/onnxQwen2";
import { buildTokenizer } from "../fixtures/tokenizer";
import { headDim } from "../fixtures/weights";
import { MODELS, TINY } from "../helpers/paths";

const TINY_DIR = path.join(MODELS, TINY_ONNX.dir);
const QWEN05_DIR = path.join(MODELS, QWEN05_ONNX.dir);
// One thread per runtime: on a busy 2-core machine spinning worker threads of llama.cpp and
// ONNX Runtime starve each other (32 tiny tokens took 27 s with two llama.cpp threads, 7 ms with one).
const ORT_OPTIONS: InferenceSession.SessionOptions = { executionProviders: ["cpu"], intraOpNumThreads: 1 };

function readJson(dir: string, file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(dir, file), "utf8")) as Record<string, unknown>;
}

function int64(values: readonly number[]): Tensor {
  return new Tensor("int64", BigInt64Array.from(values, BigInt), [1, values.length]);
}

function argmaxAt(logits: Float32Array, vocab: number, row: number): number {
  let best = row * vocab;
  for (let i = best + 1; i < (row + 1) * vocab; i++) if (logits[i]! > logits[best]!) best = i;
  return best - row * vocab;
}

interface OrtRun {
  tokens: number[];
  /** The per-layer [key, value] buffers the session wrote into. */
  kv: Tensor[][];
  /** Dims of the prompt step's logits. */
  promptLogitsDims: readonly number[];
}

/**
 * Greedy decoding the way onnxruntime-genai runs these folders with past_present_share_buffer:
 * one zeroed [1, kvHeads, maxLength, headSize] buffer per layer and K/V, bound as both the
 * past input and the present output; the attention mask grows by one per step. (The present
 * tensors run() returns are copies onnxruntime-node makes; the bound buffers hold the cache.)
 */
async function ortGreedy(session: InferenceSession, config: OnnxModelConfig, prompt: readonly number[], steps: number, maxLength: number): Promise<OrtRun> {
  const { layers, kvHeads, vocab } = config.shape;
  const hd = headDim(config.shape);
  const kv = Array.from({ length: layers }, () =>
    [0, 1].map(() => new Tensor("float32", new Float32Array(kvHeads * maxLength * hd), [1, kvHeads, maxLength, hd])),
  );
  const tokens: number[] = [];
  let input = [...prompt];
  let promptLogitsDims: readonly number[] = [];
  for (let step = 0; step < steps; step++) {
    const feeds: Record<string, Tensor> = {
      [IO.inputIds]: int64(input),
      [IO.attentionMask]: int64(new Array<number>(prompt.length + step).fill(1)),
    };
    const fetches: Record<string, Tensor | null> = { [IO.logits]: null };
    kv.forEach(([key, value], i) => {
      feeds[perLayer(IO.pastKey, i)] = fetches[perLayer(IO.presentKey, i)] = key!;
      feeds[perLayer(IO.pastValue, i)] = fetches[perLayer(IO.presentValue, i)] = value!;
    });
    const out = await session.run(feeds, fetches);
    const logits = out[IO.logits]!;
    if (step === 0) promptLogitsDims = logits.dims;
    const next = argmaxAt(logits.data as Float32Array, vocab, input.length - 1);
    tokens.push(next);
    input = [next];
  }
  return { tokens, kv, promptLogitsDims };
}

describe("ONNX fixture folders", function () {
  let llama: Llama;
  let tinyGguf: LlamaModel;
  let tinyOnnx: InferenceSession;
  let tokenizer: Tokenizer;

  before(async function () {
    // The binaries the engine's workers load in this same mocha process (two builds of llama.cpp in
    // one process share one libggml-base.so, and the second crashes it).
    llama = await openLlama(false);
    tinyGguf = await llama.loadModel({ modelPath: TINY });
    tinyOnnx = await InferenceSession.create(path.join(TINY_DIR, MODEL_FILE), ORT_OPTIONS);
    tokenizer = new Tokenizer(readJson(TINY_DIR, "tokenizer.json"), readJson(TINY_DIR, "tokenizer_config.json"));
  });

  after(async function () {
    await tinyOnnx?.release();
    await llama?.dispose();
  });

  it("looks like a model builder folder: builder I/O names, every initializer in page-aligned external data", function () {
    for (const dir of [TINY_DIR, QWEN05_DIR]) {
      // decode() fills every repeated field (with [] when absent), as GraphProto declares.
      const graph = onnx.ModelProto.decode(readFileSync(path.join(dir, MODEL_FILE))).graph as onnx.GraphProto;
      const inputs = graph.input.map((i) => i.name);
      assert.deepEqual(inputs.slice(0, 3), [IO.inputIds, IO.attentionMask, perLayer(IO.pastKey, 0)]);
      assert.ok(!inputs.includes("position_ids"), "GroupQueryAttention applies rotary itself");
      assert.equal(graph.output[0]!.name, IO.logits);
      const dataSize = statSync(path.join(dir, `${MODEL_FILE}.data`)).size;
      assert.ok(graph.initializer.length > 0);
      for (const t of graph.initializer as onnx.TensorProto[]) {
        assert.equal(t.dataLocation, onnx.TensorProto.DataLocation.EXTERNAL, t.name);
        const entry = Object.fromEntries(t.externalData.map((e) => [e.key, e.value]));
        assert.equal(entry.location, `${MODEL_FILE}.data`);
        assert.equal(Number(entry.offset) % 4096, 0, t.name);
        assert.ok(Number(entry.offset) + Number(entry.length) <= dataSize, t.name);
      }
      const genai = readJson(dir, "genai_config.json") as { model: { decoder: { filename: string } } };
      assert.equal(genai.model.decoder.filename, MODEL_FILE);
    }
  });

  it("decodes the same 32 greedy tokens as tiny.gguf in llama.cpp", async function () {
    const prompts = [
      "Hello, world",
      "<|im_start|>user\nwrite a function<|im_end|>\n<|im_start|>assistant\n",
      "<|fim_prefix|>def add(x, y):\n    <|fim_suffix|>\n<|fim_middle|>",
    ];
    // F32 KV cache and no flash attention, so llama.cpp computes in fp32 as ONNX Runtime does.
    const context = await tinyGguf.createContext({
      contextSize: 256, sequences: 1, threads: 1, flashAttention: false,
      experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32",
    });
    try {
      const sequence = context.getSequence();
      for (const text of prompts) {
        const prompt = tinyGguf.tokenize(text, true);
        await sequence.clearHistory();
        const expected: Token[] = [];
        for await (const token of sequence.evaluate(prompt, { temperature: 0 })) {
          expected.push(token);
          if (expected.length === 32) break;
        }
        const { tokens } = await ortGreedy(tinyOnnx, TINY_ONNX, prompt, 32, 256);
        assert.deepEqual(tokens, expected, JSON.stringify(text));
      }
    } finally {
      await context.dispose();
    }
  });

  it("writes the KV cache in place when past and present share one buffer", async function () {
    const prompt = tinyGguf.tokenize("Hello", true);
    const maxLength = 64;
    const { kv } = await ortGreedy(tinyOnnx, TINY_ONNX, prompt, 3, maxLength);
    // The last step's own K is written too: prompt + 2 generated tokens hold values, the rest is zero.
    const filled = prompt.length + 2;
    const hd = headDim(TINY_ONNX.shape);
    const key = kv[0]![0]!.data as Float32Array;
    for (let head = 0; head < TINY_ONNX.shape.kvHeads; head++) {
      const rows = key.subarray(head * maxLength * hd, (head + 1) * maxLength * hd);
      for (let pos = 0; pos < maxLength; pos++) {
        const used = rows.subarray(pos * hd, (pos + 1) * hd).some((v) => v !== 0);
        assert.equal(used, pos < filled, `head ${head} position ${pos}`);
      }
    }
  });

  it("tokenizes like llama.cpp: Unicode, emoji, CJK, code, numbers and special tokens", function () {
    const texts = [
      "Hello, world! It's 2024 and we're testing: 3.14159, 1,000,000.",
      "I'LL say DON'T, you've, she'd, they'RE",
      "naïve café — Ünïcödé straße ﬁ ½ ™",
      "emoji: 👋🏽 🧑‍💻 🇫🇷 ❤️ 😀😀",
      "CJK: 你好，世界。日本語のテキスト、한국어 텍스트",
      "مرحبا بالعالم שלום नमस्ते दुनिया",
      "def add(x, y):\n    return x + y\n\n\tif x:\n\t\tpass  \n",
      "const f = (a) => {\n  let y = a * 2; // comment\r\n  return y;\n};\n\n\n",
      "12345 67.89 0x1F 1e-6 -42 +7 3/4 ١٢٣",
      "   leading and trailing   ",
      "a  b   c\u00a0d\u3000e",
      "<|im_start|>user\nhi<|im_end|>",
      "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
      "<|fim_prefix|>def f():\n    <|fim_suffix|>\n    return 1<|fim_middle|>",
      "<|repo_name|>squeeze\n<|file_sep|>src/a.ts\nexport {};<|endoftext|>",
      "<|fim_pad|><|endoftext|><|im_end|>",
    ];
    for (const text of texts) {
      const ids = tokenizer.encode(text).ids;
      assert.deepEqual(ids, tinyGguf.tokenize(text, true).map(Number), JSON.stringify(text));
      assert.equal(tokenizer.decode(ids), text, JSON.stringify(text));
    }
  });

  it("qwen05-int4-onnx (MatMulNBits) loads and gives full-vocabulary logits and readable tokens", async function () {
    const session = await InferenceSession.create(path.join(QWEN05_DIR, MODEL_FILE), ORT_OPTIONS);
    try {
      // Both models share the tokenizer (the 0.5B one only pads it), so tiny's ids serve.
      const prompt = tinyGguf.tokenize("<|im_start|>user\nhello<|im_end|>\n", true);
      const { tokens, promptLogitsDims } = await ortGreedy(session, QWEN05_ONNX, prompt, 8, 128);
      assert.deepEqual(promptLogitsDims, [1, prompt.length, QWEN05_ONNX.shape.vocab]);
      const allowed = new Set(buildTokenizer(QWEN05_ONNX.shape.vocab, undefined, QWEN05_ONNX.vocabulary).allowedOutputIds);
      assert.ok(tokens.every((t) => allowed.has(t)), `unexpected tokens ${tokens.join(",")}`);
    } finally {
      await session.release();
    }
  });
});
