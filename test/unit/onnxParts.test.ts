// The ONNX backend's TypeScript parts on their own: sampling, stop sequences, streamed
// decoding and the choice of execution providers.
import assert from "node:assert/strict";
import { Tokenizer } from "@huggingface/tokenizers";
import { readFileSync } from "node:fs";
import path from "node:path";
import { planExecutionProviders, type ProviderInputs } from "../../src/core/natives/executionProviders";
import { HfTokenizer } from "../../src/core/backends/onnx/hfTokenizer";
import { TextStream } from "../../src/core/backends/textStream";
import { Sampler, type SamplingSettings } from "../../src/core/backends/onnx/sampler";
import { StopSequences } from "../../src/core/backends/stopSequences";
import { TINY_ONNX } from "../helpers/paths";

const greedy: SamplingSettings = {
  temperature: 0, topK: 40, topP: 1, minP: 0, repeatPenalty: 1, presencePenalty: 0, frequencyPenalty: 0, penaltyWindow: 64,
};

describe("sampler", function () {
  const logits = () => Float32Array.from([0.1, 2.5, -1, 2.4, 0.3]);

  it("greedy picks the largest logit, and a repeat penalty can move it", function () {
    assert.equal(new Sampler(greedy).sample(logits(), []), 1);
    assert.equal(new Sampler({ ...greedy, repeatPenalty: 1.5 }).sample(logits(), [1]), 3);
  });

  it("draws the same tokens for the same seed, and covers the top-k only", function () {
    const draw = (seed: number, topK: number) => {
      const s = new Sampler({ ...greedy, temperature: 1.5, topK, seed });
      return Array.from({ length: 200 }, () => s.sample(logits(), []));
    };
    assert.deepEqual(draw(5, 40), draw(5, 40));
    assert.notDeepEqual(draw(5, 40), draw(6, 40));
    assert.deepEqual(new Set(draw(5, 2)), new Set([1, 3]));
    assert.equal(new Set(draw(5, 40)).size, 5);
  });

  it("top-p keeps the smallest set reaching p", function () {
    const s = new Sampler({ ...greedy, temperature: 1, topP: 0.01, seed: 1 });
    assert.ok(Array.from({ length: 50 }, () => s.sample(logits(), [])).every((t) => t === 1));
  });
});

describe("stop sequences", function () {
  it("holds back a possible start of a stop sequence and cuts at the first one", function () {
    const stops = new StopSequences(["END", "##"]);
    assert.deepEqual(stops.push("hello E"), { text: "hello ", stopped: false });
    assert.deepEqual(stops.push("N"), { text: "", stopped: false });
    assert.deepEqual(stops.push("X #"), { text: "ENX ", stopped: false });
    assert.deepEqual(stops.push("# and END"), { text: "", stopped: true, sequence: "##" }, "the first one in the text, which it names");
  });

  it("releases held text at the end when no stop came", function () {
    const stops = new StopSequences(["END"]);
    assert.deepEqual(stops.push("abcE"), { text: "abc", stopped: false });
    assert.equal(stops.flush(), "E");
  });
});

describe("streamed decoding", function () {
  it("releases only whole characters and adds up to the full decode", function () {
    const json = JSON.parse(readFileSync(path.join(TINY_ONNX, "tokenizer.json"), "utf8")) as object;
    const config = JSON.parse(readFileSync(path.join(TINY_ONNX, "tokenizer_config.json"), "utf8")) as Record<string, unknown>;
    const tokenizer = new HfTokenizer(new Tokenizer(json, config), config);
    const text = "naïve café 🙂 日本語 done";
    const ids = tokenizer.encodeText(text);
    assert.ok(ids.length > [...text].length, "multi-byte characters span several tokens");
    const stream = new TextStream((ids) => tokenizer.decode(ids));
    const pieces = ids.map((id) => stream.push(id));
    pieces.push(stream.flush());
    assert.ok(pieces.every((p) => !p.includes("\uFFFD")), JSON.stringify(pieces));
    assert.equal(pieces.join(""), text);
  });
});

describe("execution provider choice", function () {
  const base: ProviderInputs = { supported: ["cpu", "webgpu", "cuda", "dml", "coreml"], platform: "linux", gpu: "auto", configured: [], cudaInstalled: false };
  const names = (inputs: Partial<ProviderInputs>) => planExecutionProviders({ ...base, ...inputs }).map((p) => p.name);

  it("picks DirectML on Windows, CoreML on macOS, CUDA only where installed, the CPU always", function () {
    assert.deepEqual(names({ platform: "win32" }), ["dml", "cpu"]);
    assert.deepEqual(names({ platform: "darwin" }), ["coreml", "cpu"]);
    assert.deepEqual(names({}), ["cpu"]);
    assert.deepEqual(names({ cudaInstalled: true }), ["cuda", "cpu"]);
    assert.deepEqual(names({ platform: "win32", gpu: false }), ["cpu"]);
    assert.deepEqual(names({ platform: "win32", supported: ["cpu"] }), ["cpu"]);
  });

  it("honours the folder's provider_options where the binding and platform allow them", function () {
    const plan = planExecutionProviders({ ...base, configured: [{ webgpu: { preferred_layout: "NHWC" } }] });
    assert.deepEqual(plan, [{ name: "webgpu", options: { preferredLayout: "NHWC" } }, { name: "cpu", options: {} }]);
    assert.deepEqual(names({ configured: [{ dml: {} }] }), ["cpu"], "DirectML is Windows-only");
    assert.deepEqual(names({ platform: "win32", configured: [{ OpenVINO: {} }] }), ["dml", "cpu"]);
  });
});
