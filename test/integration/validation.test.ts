// Model files are checked in JavaScript before llama.cpp sees them: llama.cpp aborts the
// whole process on some malformed files, which in an editor takes every extension down.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { EngineHost } from "../../src/core/engine/engineHost";
import { EngineError } from "../../src/core/protocol/errors";
import { type HostileModel, writeHostileGgufs } from "../fixtures/hostileModels";
import { ROOT, TINY, WORKER } from "../helpers/paths";
import { runSqueeze } from "../helpers/squeezeProcess";

describe("model validation before any native load", function () {
  let dir: string;
  const files: Record<string, string> = {};

  let cases: HostileModel[];

  before(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), "squeeze-bad-models-"));
    cases = writeHostileGgufs(dir, TINY).filter((m) => m.stage === "validation");
    for (const m of cases) files[m.name] = m.path;
  });

  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses each with a clear error, without starting a worker", async function () {
    assert.ok(cases.length >= 13);
    for (const { name, path: file, reason } of cases) {
      const engine = new EngineHost({ workerPath: WORKER });
      try {
        const err = await engine.load({ id: name, path: file, backend: "llama.cpp", gpu: false }).then(
          () => assert.fail(`${name}: the load should fail`),
          (e: unknown) => e,
        );
        assert.ok(err instanceof EngineError, name);
        assert.equal(err.code, "invalid_model", name);
        assert.match(err.message, reason, name);
        assert.equal(engine.stats().workerStarts, 0, `${name}: no native runtime was handed the file`);
        assert.equal(engine.model, undefined);
      } finally {
        await engine.dispose();
      }
    }
  });

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
