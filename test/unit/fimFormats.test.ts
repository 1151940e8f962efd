// Fill-in-the-middle in each model family's own format. A tiny GGUF is written per family with
// that family's FIM marker tokens (declared in its metadata, as converted checkpoints declare them);
// the prompt Squeeze builds must use those markers in the family's layout, and the engine must
// fill in the middle with it.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { FimFormat } from "../../src/core/backends/llamacpp/fimFormat";
import { openLlama } from "../../src/core/backends/llamacpp/llamaRuntime";
import { EngineHost } from "../../src/core/engine/engineHost";
import { TINY as TINY_CONFIG, writeGgufModel } from "../fixtures/models";
import type { FimTexts } from "../fixtures/tokenizer";
import { TINY, WORKER } from "../helpers/paths";

/** How a family was trained: prefix-suffix-middle, suffix-first with its middle marker ("SPM variant 2"), or suffix-first without one. */
type Layout = "psm" | "spm" | "spm-no-middle";

interface Family {
  name: string;
  fim: FimTexts;
  layout: Layout;
}

const FAMILIES: Family[] = [
  { name: "Qwen2.5-Coder", fim: { prefix: "<|fim_prefix|>", suffix: "<|fim_suffix|>", middle: "<|fim_middle|>" }, layout: "psm" },
  { name: "CodeLlama", fim: { prefix: "<PRE>", suffix: "<SUF>", middle: "<MID>" }, layout: "spm" },
  { name: "StarCoder2", fim: { prefix: "<fim_prefix>", suffix: "<fim_suffix>", middle: "<fim_middle>" }, layout: "spm" },
  { name: "DeepSeek-Coder", fim: { prefix: "<｜fim▁begin｜>", suffix: "<｜fim▁hole｜>", middle: "<｜fim▁end｜>" }, layout: "psm" },
  { name: "Codestral", fim: { prefix: "[PREFIX]", suffix: "[SUFFIX]", middle: "[MIDDLE]" }, layout: "spm-no-middle" },
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
    // The binaries the engine's worker loads in this same process: two builds of llama.cpp in one
    // process share one libggml-base.so, and the second then crashes it.
    const model = await (await openLlama(false)).loadModel({ modelPath: TINY });
    textTokens.prefix = model.tokenize(PREFIX).length;
    textTokens.suffix = model.tokenize(SUFFIX).length;
    await model.dispose();
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const family of FAMILIES) {
    it(`${family.name}: ${family.layout === "psm" ? "prefix-suffix-middle" : "suffix-first"} with its own markers`, async () => {
      const file = path.join(dir, `${family.name}.gguf`);
      writeGgufModel(file, {
        shape: TINY_CONFIG.shape,
        quant: "f32",
        seed: TINY_CONFIG.seed,
        fim: family.fim,
        // Converted Codestral checkpoints declare no middle token.
        omitKeys: family.layout === "spm-no-middle" ? ["tokenizer.ggml.fim_mid_token_id"] : [],
      });

      const model = await (await openLlama(false)).loadModel({ modelPath: file });
      try {
        const { prefix, suffix, middle } = family.fim;
        const expected = {
          psm: `${prefix}${PREFIX}${suffix}${SUFFIX}${middle}`,
          spm: `${prefix}${suffix}${SUFFIX}${middle}${PREFIX}`,
          "spm-no-middle": `${suffix}${SUFFIX}${prefix}${PREFIX}`,
        }[family.layout];
        assert.equal(model.detokenize(FimFormat.of(model)!.prompt(PREFIX, SUFFIX), true), expected);
      } finally {
        await model.dispose();
      }

      const engine = new EngineHost({ workerPath: WORKER });
      try {
        await engine.load({ id: family.name, path: file, backend: "llama.cpp", gpu: false });
        const infill = async (prefix: string) => {
          const events = [];
          for await (const event of engine.infill(prefix, SUFFIX, { maxTokens: 4, temperature: 0 })) events.push(event);
          const done = events.at(-1);
          assert.ok(done?.type === "done");
          return done.usage;
        };
        const usage = await infill(PREFIX);
        // The markers (two without a middle token) and the text: nothing else entered the prompt.
        assert.equal(usage.promptTokens, (family.layout === "spm-no-middle" ? 2 : 3) + textTokens.prefix + textTokens.suffix);
        // Typing at the cursor: suffix-first re-evaluates only the prompt's changed end; prefix-first the suffix too.
        const typed = await infill(`${PREFIX}r`);
        const evaluated = typed.promptTokens - typed.cachedTokens;
        if (family.layout === "psm") assert.ok(evaluated > textTokens.suffix, `${evaluated} tokens evaluated`);
        else assert.ok(evaluated <= 2, `${evaluated} of ${typed.promptTokens} prompt tokens evaluated after typing one character`);
      } finally {
        await engine.dispose();
      }
    });
  }

  it("puts other files first, each after the model's file separator, then the current file", async () => {
    // The binaries the engine's worker loads in this same process: two builds of llama.cpp in one
    // process share one libggml-base.so, and the second then crashes it.
    const model = await (await openLlama(false)).loadModel({ modelPath: TINY });
    try {
      const extra = [{ filename: "geometry/constants.py", text: "PI = 3.14159" }];
      assert.equal(
        model.detokenize(FimFormat.of(model)!.prompt(PREFIX, SUFFIX, extra), true),
        `<|file_sep|>geometry/constants.py\nPI = 3.14159\n<|file_sep|><|fim_prefix|>${PREFIX}<|fim_suffix|>${SUFFIX}<|fim_middle|>`,
      );
    } finally {
      await model.dispose();
    }
  });
});
