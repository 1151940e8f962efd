// ONNX Runtime GenAI folders are checked in JavaScript before onnxruntime sees them: a broken
// folder gets an error that names the problem, and the engine keeps serving.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { EngineHost } from "../../src/core/engine/engineHost";
import { EngineError } from "../../src/core/protocol/errors";
import { type HostileModel, writeHostileOnnxFolders } from "../fixtures/hostileModels";
import { TINY_ONNX, WORKER } from "../helpers/paths";
import { runSqueeze } from "../helpers/squeezeProcess";

describe("ONNX folder validation before any native load", function () {
  let dir: string;
  const folders: Record<string, string> = {};

  let cases: HostileModel[];

  before(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), "squeeze-bad-onnx-"));
    cases = writeHostileOnnxFolders(dir, TINY_ONNX);
    for (const m of cases) folders[m.name] = m.path;
  });

  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses each broken folder with a clear error, and the worker keeps serving", async function () {
    const engine = new EngineHost({ workerPath: WORKER });
    try {
      for (const { name, path: folder, code, reason: message } of cases) {
        const err = await engine.load({ id: name, path: folder, backend: "onnx", gpu: false }).then(
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
