// Fill-in-the-middle in each model family's own format. A tiny GGUF is written per family with
// that family's FIM marker tokens (declared in its metadata, as converted checkpoints declare them);
// the prompt Squeeze builds must use those markers in the family's layout, and the engine must
// fill in the middle with it.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fimTokens } from "../src/core/backends/llamacpp/fimTokens";
import { EngineHost } from "../src/core/engine/engineHost";
import { TINY as TINY_CONFIG, writeGgufModel } from "./fixtures/models";
import type { FimTexts } from "./fixtures/tokenizer";
import { TINY, WORKER } from "./helpers/paths";

interface Family {
  name: string;
  fim: FimTexts;
  /** Codestral has no middle token: its prompt is suffix-first. */
  suffixFirst?: boolean;
}

const FAMILIES: Family[] = [
  { name: "Qwen2.5-Coder", fim: { prefix: "<|fim_prefix|>", suffix: "<|fim_suffix|>", middle: "<|fim_middle|>" } },
  { name: "CodeLlama", fim: { prefix: "<PRE>", suffix: "<SUF>", middle: "<MID>" } },
  { name: "StarCoder2", fim: { prefix: "<fim_prefix>", suffix: "<fim_suffix>", middle: "<fim_middle>" } },
  { name: "DeepSeek-Coder", fim: { prefix: "<｜fim▁begin｜>", suffix: "<｜fim▁hole｜>", middle: "<｜fim▁end｜>" } },
  { name: "Codestral", fim: { prefix: "[PREFIX]", suffix: "[SUFFIX]", middle: "[MIDDLE]" }, suffixFirst: true },
];

const PREFIX = "def area(r):\n    return ";
const SUFFIX = "\n\nprint(area(2))\n";

describe("fill-in-the-middle formats per model family", function () {
  this.timeout(120_000);
  let dir: string;
  /** The text's own tokens: every family's fixture shares the tokenizer apart from its markers. */
  const textTokens = { prefix: 0, suffix: 0 };
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "squeeze-fim-"));
    const { getLlama } = await import("node-llama-cpp");
    const model = await (await getLlama({ gpu: false, build: "never" })).loadModel({ modelPath: TINY });
    textTokens.prefix = model.tokenize(PREFIX).length;
    textTokens.suffix = model.tokenize(SUFFIX).length;
    await model.dispose();
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const family of FAMILIES) {
    it(`${family.name}: ${family.suffixFirst ? "suffix-first" : "prefix-suffix-middle"} with its own markers`, async () => {
      const file = path.join(dir, `${family.name}.gguf`);
      writeGgufModel(file, {
        shape: TINY_CONFIG.shape,
        quant: "f32",
        seed: TINY_CONFIG.seed,
        fim: family.fim,
        // Converted Codestral checkpoints declare no middle token.
        omitKeys: family.suffixFirst ? ["tokenizer.ggml.fim_mid_token_id"] : [],
      });

      const { getLlama } = await import("node-llama-cpp");
      const llama = await getLlama({ gpu: false, build: "never" });
      const model = await llama.loadModel({ modelPath: file });
      try {
        const { prefix, suffix, middle } = family.fim;
        const expected = family.suffixFirst ? `${suffix}${SUFFIX}${prefix}${PREFIX}` : `${prefix}${PREFIX}${suffix}${SUFFIX}${middle}`;
        assert.equal(model.detokenize(fimTokens(model, PREFIX, SUFFIX), true), expected);
      } finally {
        await model.dispose();
      }

      const engine = new EngineHost({ workerPath: WORKER });
      try {
        await engine.load({ id: family.name, path: file, backend: "llama.cpp", gpu: false });
        const events = [];
        for await (const event of engine.infill(PREFIX, SUFFIX, { maxTokens: 4, temperature: 0 })) events.push(event);
        const done = events.at(-1);
        assert.equal(done?.type, "done");
        // The markers (two without a middle token) and the text: nothing else entered the prompt.
        assert.equal(done?.type === "done" && done.usage.promptTokens, (family.suffixFirst ? 2 : 3) + textTokens.prefix + textTokens.suffix);
      } finally {
        await engine.dispose();
      }
    });
  }

  it("puts other files first, each after the model's file separator, then the current file", async () => {
    const { getLlama } = await import("node-llama-cpp");
    const model = await (await getLlama({ gpu: false, build: "never" })).loadModel({ modelPath: TINY });
    try {
      const extra = [{ filename: "geometry/constants.py", text: "PI = 3.14159" }];
      assert.equal(
        model.detokenize(fimTokens(model, PREFIX, SUFFIX, extra), true),
        `<|file_sep|>geometry/constants.py\nPI = 3.14159\n<|file_sep|><|fim_prefix|>${PREFIX}<|fim_suffix|>${SUFFIX}<|fim_middle|>`,
      );
    } finally {
      await model.dispose();
    }
  });
});
