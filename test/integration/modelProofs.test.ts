// Model files that pass every JavaScript check and still make llama.cpp abort its process: each
// is proven in a throwaway process first, so only that process dies, and the engine, the
// server and whatever they serve stay up.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, utimesSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { EngineHost } from "../../src/core/engine/engineHost";
import { EngineError } from "../../src/core/protocol/errors";
import { ModelProofs } from "../../src/core/engine/modelProofs";
import { validateModel } from "../../src/core/models/validateModel";
import { type HostileModel, writeHostileGgufs } from "../fixtures/hostileModels";
import { putInCache } from "../helpers/hfCache";
import { postJson, request } from "../helpers/http";
import { DIST, TINY, WORKER } from "../helpers/paths";
import { runSqueeze, startSqueeze } from "../helpers/squeezeProcess";

describe("model files proven harmless before the server's process runs them", function () {
  this.timeout(120_000);
  let dir: string;
  const files: Record<string, string> = {};
  const proofs = () => new ModelProofs({ proofPath: path.join(DIST, "proof.js"), verdictsFile: path.join(dir, `verdicts-${Math.random()}.json`) });
  const spec = (name: string) => ({ id: name, path: files[name], backend: "llama.cpp" as const, gpu: false as const });

  // Each passes the JavaScript checks; llama.cpp stops the process on it with GGML_ASSERT.
  let aborting: HostileModel[] = [];

  before(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), "squeeze-hostile-"));
    const corpus = writeHostileGgufs(dir, TINY).filter((m) => m.stage === "proof");
    for (const m of corpus) files[m.name] = m.path;
    aborting = corpus;
  });

  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("the corpus passes the JavaScript checks: only the proof stands between it and the process", async function () {
    for (const { name } of aborting) await validateModel(spec(name));
  });

  it("refuses each file with the runtime's own reason, and no worker ever sees it", async function () {
    const engine = new EngineHost({ workerPath: WORKER, proofs: proofs() });
    try {
      for (const { name, reason } of aborting) {
        const err = await engine.load(spec(name)).then(() => assert.fail(`${name} should be refused`), (e: unknown) => e);
        assert.ok(err instanceof EngineError, String(err));
        assert.equal(err.code, "invalid_model");
        assert.match(err.message, new RegExp(`llama\\.cpp cannot run ${name}\\.gguf: a test process loading it was ended by SIGABRT`));
        assert.match(err.message, reason);
        assert.doesNotMatch(err.message, /\/\w+\/.*\.cpp/, "no build paths");
      }
      assert.equal(engine.stats().workerStarts, 0);
    } finally {
      await engine.dispose();
    }
  });

  it("keeps serving the loaded model when a hostile one is refused", async function () {
    const engine = new EngineHost({ workerPath: WORKER, proofs: proofs() });
    try {
      await engine.load({ id: "tiny", path: TINY, backend: "llama.cpp", gpu: false });
      await assert.rejects(engine.load(spec("duplicate-tokens")), /SIGABRT/);
      assert.equal(engine.model?.id, "tiny");
      let done = false;
      for await (const event of engine.complete("Hi", { maxTokens: 2 })) done ||= event.type === "done";
      assert.ok(done);
      assert.equal(engine.stats().workerStarts, 1);
    } finally {
      await engine.dispose();
    }
  });

  it("proves a file once, remembers the verdict by path, size and time, and proves it again when it changes", async function () {
    const checks = proofs();
    const bad = spec("experts-used-above-count");
    await assert.rejects(checks.prove(bad), /SIGABRT/);
    await assert.rejects(checks.prove(bad), /SIGABRT/, "the remembered verdict, with its reason");
    const good = { id: "tiny", path: TINY, backend: "llama.cpp" as const, gpu: false as const };
    await Promise.all([checks.prove(good), checks.prove(good)]);
    await checks.prove(good);
    assert.equal(checks.proofsRun, 2, "one proof per file, shared by loads at the same time");

    const touched = new Date(Date.now() - 60_000);
    utimesSync(files["experts-used-above-count"], touched, touched);
    await assert.rejects(checks.prove(bad), /SIGABRT/);
    assert.equal(checks.proofsRun, 3, "a changed file is proven again");
  });

  it("squeeze serve --model exits 1 with the reason, not with the runtime's abort", async function () {
    const { code, output } = await runSqueeze(["serve", "--port", "0", "--model", files["duplicate-tokens"]], { SQUEEZE_HOME: path.join(dir, "home-serve") });
    assert.equal(code, 1, output);
    assert.match(output, /squeeze: error: .*llama\.cpp cannot run duplicate-tokens\.gguf: .*GGML_ASSERT\(id_to_token\.size\(\) == token_to_id\.size\(\)\)/);
  });

  it("/api/v1/load answers an OpenAI-shaped error and the server keeps serving its model", async function () {
    const hub = path.join(dir, "hub");
    await putInCache(hub, "test/Hostile-GGUF", { "hostile-q8_0.gguf": files["experts-used-without-count"] });
    const squeeze = await startSqueeze(["--model", TINY], { HF_HUB_CACHE: hub, SQUEEZE_HOME: path.join(dir, "home-load") });
    try {
      const res = await postJson(squeeze.url, "/api/v1/load", { model_name: "hf.co/test/Hostile-GGUF:Q8_0" }, squeeze.user);
      assert.equal(res.status, 500, res.body);
      const { error } = res.json() as { error: { message: string; type: string; code: string } };
      assert.equal(error.code, "invalid_model");
      assert.match(error.message, /cannot run hostile-q8_0\.gguf: .*SIGABRT .*GGML_ASSERT/);
      assert.equal(squeeze.child.exitCode, null, "the server is alive");
      const health = (await request(squeeze.url, "/health")).json() as { model: string };
      assert.equal(health.model, squeeze.modelId);
      const answer = await postJson(squeeze.url, "/v1/completions", { model: squeeze.modelId, prompt: "Hello", max_tokens: 2 });
      assert.equal(answer.status, 200, answer.body);
    } finally {
      await squeeze.stop();
    }
  });
});
