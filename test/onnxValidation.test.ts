// ONNX Runtime GenAI folders are checked in JavaScript before onnxruntime sees them: a broken
// folder gets an error that names the problem, and the engine keeps serving.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { EngineHost } from "../src/core/engine/engineHost";
import { EngineError } from "../src/core/engine/errors";
import { TINY_ONNX, WORKER } from "./helpers/paths";
import { runSqueeze } from "./helpers/squeezeProcess";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("ONNX folder validation before any native load", function () {
  let dir: string;
  const folders: Record<string, string> = {};

  /** A copy of tiny-onnx with one thing broken. */
  const broken = (name: string, breakIt: (folder: string) => void) => {
    const folder = path.join(dir, name);
    cpSync(TINY_ONNX, folder, { recursive: true });
    breakIt(folder);
    folders[name] = folder;
  };
  const editJson = (file: string, edit: (json: Json) => void) => (folder: string) => {
    const json = JSON.parse(readFileSync(path.join(folder, file), "utf8")) as Json;
    edit(json);
    writeFileSync(path.join(folder, file), JSON.stringify(json));
  };
  const cut = (file: string, fraction: number) => (folder: string) => {
    const target = path.join(folder, file);
    truncateSync(target, Math.floor(statSync(target).size * fraction));
  };

  before(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), "squeeze-bad-onnx-"));
    broken("no-config", (f) => rmSync(path.join(f, "genai_config.json")));
    broken("malformed-config", (f) => writeFileSync(path.join(f, "genai_config.json"), '{"model": {"decoder": '));
    broken("wrong-field", editJson("genai_config.json", (c) => (c.model.decoder.num_key_value_heads = "two")));
    broken("missing-field", editJson("genai_config.json", (c) => delete c.model.context_length));
    broken("no-model-file", (f) => rmSync(path.join(f, "model.onnx")));
    broken("truncated-model", cut("model.onnx", 0.5));
    broken("truncated-data", cut("model.onnx.data", 0.5));
    broken("escaping-filename", editJson("genai_config.json", (c) => (c.model.decoder.filename = "../tiny-onnx/model.onnx")));
    broken("wrong-input-name", editJson("genai_config.json", (c) => (c.model.decoder.inputs.input_ids = "tokens")));
    broken("wrong-heads", editJson("genai_config.json", (c) => (c.model.decoder.num_key_value_heads = 4)));
    broken("no-tokenizer", (f) => rmSync(path.join(f, "tokenizer.json")));
    broken(
      "big-tokenizer",
      editJson("tokenizer.json", (t) => t.added_tokens.push({ id: 5000, content: "<|extra|>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    );
    broken("vitisai", editJson("genai_config.json", (c) => (c.model.decoder.session_options.provider_options = [{ VitisAI: {} }])));
    broken("custom-ops", editJson("genai_config.json", (c) => (c.model.decoder.session_options.custom_ops_library = "onnx_custom_ops.dll")));
  });

  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  const cases: Array<[string, string, RegExp]> = [
    ["no-config", "invalid_model", /has no genai_config\.json/],
    ["malformed-config", "invalid_model", /genai_config\.json is not valid JSON/],
    ["wrong-field", "invalid_model", /model\.decoder\.num_key_value_heads: .*number/],
    ["missing-field", "invalid_model", /model\.context_length/],
    ["no-model-file", "invalid_model", /model file model\.onnx \(model\.decoder\.filename\) is missing/],
    ["truncated-model", "invalid_model", /model\.onnx is not a valid ONNX file/],
    ["truncated-data", "invalid_model", /external data file model\.onnx\.data is truncated/],
    ["escaping-filename", "invalid_model", /model\.decoder\.filename must name a file inside the folder/],
    ["wrong-input-name", "invalid_model", /no input "tokens" \(model\.decoder\.inputs\.input_ids/],
    ["wrong-heads", "invalid_model", /has 2 heads but model\.decoder\.num_key_value_heads is 4/],
    ["no-tokenizer", "invalid_model", /has no tokenizer\.json/],
    ["big-tokenizer", "invalid_model", /tokenizer has ids up to 5000 but the model's logits cover only \d+ tokens/],
    ["vitisai", "runtime_unavailable", /needs the VitisAI execution provider .*AMD Ryzen AI Software/],
    ["custom-ops", "runtime_unavailable", /needs the custom operator library onnx_custom_ops\.dll/],
  ];

  it("refuses each broken folder with a clear error, and the worker keeps serving", async function () {
    const engine = new EngineHost({ workerPath: WORKER });
    try {
      for (const [name, code, message] of cases) {
        const err = await engine.load({ id: name, path: folders[name], backend: "onnx", gpu: false }).then(
          () => assert.fail(`${name} loaded`),
          (e: unknown) => e,
        );
        assert.ok(err instanceof EngineError, `${name}: ${String(err)}`);
        assert.equal(err.code, code, `${name}: ${err.message}`);
        assert.match(err.message, message, name);
      }
      const info = await engine.load({ id: "good", path: TINY_ONNX, backend: "onnx", gpu: false });
      assert.equal(info.backend, "onnx");
      assert.equal(engine.stats().workerStarts, 1);
    } finally {
      await engine.dispose();
    }
  });

  it("squeeze serve reports a broken folder and exits 1 without a crash", async function () {
    const { code, output } = await runSqueeze(["serve", "--port", "0", "--model", folders["truncated-data"]]);
    assert.equal(code, 1, output);
    assert.match(output, /model\.onnx\.data is truncated/);
  });
});
