// Model files are checked in JavaScript before llama.cpp sees them: llama.cpp aborts the
// whole process on some malformed files, which in an editor takes every extension down.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, openSync, closeSync, ftruncateSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { EngineHost } from "../src/core/engine/engineHost";
import { EngineError } from "../src/core/engine/errors";
import { gv, type GgufValue } from "./fixtures/gguf";
import { TINY as TINY_CONFIG, writeGgufModel } from "./fixtures/models";
import { ROOT, TINY, WORKER } from "./helpers/paths";
import { runSqueeze } from "./helpers/squeezeProcess";

describe("model validation before any native load", function () {
  let dir: string;
  const files: Record<string, string> = {};

  before(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), "squeeze-bad-models-"));
    const broken = (name: string, omitKeys: string[], overrideKeys: Record<string, GgufValue> = {}) => {
      files[name] = path.join(dir, `${name}.gguf`);
      writeGgufModel(files[name], { shape: TINY_CONFIG.shape, quant: "f32", seed: 1, omitKeys, overrideKeys });
    };
    broken("no-ffn", ["qwen2.feed_forward_length"]);
    broken("no-heads", ["qwen2.attention.head_count"]);
    broken("no-tokens", ["tokenizer.ggml.tokens", "tokenizer.ggml.token_type"]);
    broken("extra-blocks", [], { "qwen2.block_count": gv.u32(3) });
    broken("odd-heads", [], { "qwen2.attention.head_count": gv.u32(3) });
    broken("wrong-width", [], { "qwen2.embedding_length": gv.u32(96) });
    broken("eos-out-of-range", [], { "tokenizer.ggml.eos_token_id": gv.u32(100_000) });

    const cut = (name: string, bytes: number) => {
      files[name] = path.join(dir, `${name}.gguf`);
      copyFileSync(TINY, files[name]);
      const fd = openSync(files[name], "r+");
      ftruncateSync(fd, bytes);
      closeSync(fd);
    };
    cut("truncated-data", Math.floor(statSync(TINY).size * 0.6));
    cut("truncated-header", 200);

    files["not-gguf"] = path.join(dir, "notes.gguf");
    writeFileSync(files["not-gguf"], "this is a text file, not a model\n".repeat(100));
    files["bad-version"] = path.join(dir, "bad-version.gguf");
    writeFileSync(files["bad-version"], "GGUF but not really a model"); // node-llama-cpp's reader hangs on it
    files["tiny-header"] = path.join(dir, "tiny-header.gguf");
    writeFileSync(files["tiny-header"], "GGUF\x03\0\0\0");
    files.missing = path.join(dir, "missing.gguf");
  });

  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  const cases: Array<[string, RegExp]> = [
    ["no-ffn", /feed_forward_length is missing/],
    ["no-heads", /attention\.head_count is missing/],
    ["no-tokens", /tokenizer\.ggml\.tokens is missing/],
    ["extra-blocks", /block_count is 3 but the file has tensors for 2 blocks/],
    ["odd-heads", /head_count \(3\) is not a multiple of attention\.head_count_kv \(2\)/],
    ["wrong-width", /token_embd\.weight is 64x\d+, but embedding_length is 96/],
    ["eos-out-of-range", /eos_token_id \(100000\) is not a token/],
    ["truncated-data", /truncated: tensor .* ends at byte \d+ but the file has \d+ bytes/],
    ["truncated-header", /truncated: its header ends at byte \d+ but the file has 200 bytes/],
    ["not-gguf", /not a GGUF file/],
    ["bad-version", /GGUF version 1953849888 is not supported/],
    ["tiny-header", /truncated: 8 bytes is less than a GGUF header/],
    ["missing", /does not exist/],
  ];

  for (const [name, message] of cases) {
    it(`refuses ${name} with a clear error, without starting a worker`, async function () {
      const engine = new EngineHost({ workerPath: WORKER });
      try {
        const err = await engine.load({ id: name, path: files[name], backend: "llama.cpp", gpu: false }).then(
          () => assert.fail("the load should fail"),
          (e: unknown) => e,
        );
        assert.ok(err instanceof EngineError);
        assert.equal(err.code, "invalid_model");
        assert.match(err.message, message);
        assert.equal(engine.stats().workerStarts, 0, "no native runtime was handed the file");
        assert.equal(engine.model, undefined);
      } finally {
        await engine.dispose();
      }
    });
  }

  it("keeps a loaded model when a bad one is refused", async function () {
    const engine = new EngineHost({ workerPath: WORKER });
    try {
      await engine.load({ id: "tiny", path: TINY, backend: "llama.cpp", gpu: false });
      await assert.rejects(engine.load({ id: "bad", path: files["no-ffn"], backend: "llama.cpp", gpu: false }));
      assert.equal(engine.model?.id, "tiny");
      let done = false;
      for await (const event of engine.complete("Hi", { maxTokens: 2 })) done ||= event.type === "done";
      assert.ok(done);
    } finally {
      await engine.dispose();
    }
  });

  it("squeeze serve exits with the reason instead of crashing", async function () {
    const { code, output } = await runSqueeze(["serve", "--port", "0", "--model", files["no-ffn"]]);
    assert.equal(code, 1, output);
    assert.match(output, /squeeze: error: .*feed_forward_length is missing/);
  });

  it("is needed: llama.cpp itself aborts the process on the file without feed_forward_length", function () {
    // Run the unchecked native load in a child process, so only the child dies.
    const script = `import("node-llama-cpp").then(async ({ getLlama }) => {
      const llama = await getLlama({ gpu: false, build: "never" });
      await llama.loadModel({ modelPath: ${JSON.stringify(files["no-ffn"])} });
      console.log("loaded");
    }, () => process.exit(3));`;
    const child = spawnSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    assert.equal(child.signal, "SIGABRT", `status ${child.status}: ${child.stderr.slice(-500)}`);
  });
});
