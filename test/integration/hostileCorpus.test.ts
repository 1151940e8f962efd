// The whole corpus of hostile model files (test/fixtures/hostileModels.ts), each handed to the
// server as a user would: `squeeze serve --model` exits 1 with the reason, and `/api/v1/load`
// answers an OpenAI-shaped error while the server keeps serving its model. No file reaches a
// native runtime in the server's process before it is proven harmless.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { UserCatalog } from "../../src/core/catalog/userCatalog";
import { type HostileModel, writeHostileGgufs, writeHostileOnnxFolders } from "../fixtures/hostileModels";
import { postJson, request } from "../helpers/http";
import { TINY, TINY_ONNX } from "../helpers/paths";
import { runSqueeze, startSqueeze } from "../helpers/squeezeProcess";

describe("the hostile model corpus against the real server", function () {
  this.timeout(300_000);
  let dir: string;
  let corpus: HostileModel[];

  before(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), "squeeze-corpus-"));
    corpus = [...writeHostileGgufs(dir, TINY), ...writeHostileOnnxFolders(dir, TINY_ONNX)];
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("has at least 12 GGUFs and 6 ONNX folders", () => {
    assert.ok(corpus.filter((m) => m.path.endsWith(".gguf")).length >= 12);
    assert.ok(corpus.filter((m) => !m.path.endsWith(".gguf")).length >= 6);
  });

  it("squeeze serve --model exits 1 with the reason for each, never with the runtime's abort", async () => {
    const home = path.join(dir, "home-serve");
    for (const { name, path: file, reason } of corpus) {
      const { code, output } = await runSqueeze(["serve", "--port", "0", "--model", file], { SQUEEZE_HOME: home });
      // A path that does not exist is a mistake on the command line (exit 2), not a hostile file.
      assert.equal(code, name === "missing" ? 2 : 1, `${name}: ${output}`);
      assert.match(output, /squeeze: error: /, name);
      if (name !== "missing") assert.match(output, reason, `${name}: ${output}`);
    }
  });

  it("/api/v1/load answers an OpenAI-shaped error without local paths for each, and the server keeps serving its model", async () => {
    const home = path.join(dir, "home-load");
    const users = new UserCatalog(path.join(home, "models.json"));
    const loadable: HostileModel[] = [];
    for (const model of corpus) {
      // Adding checks only that the file or folder is there and is a model: what a user can register.
      if (await users.add(model.path, { id: model.name }).then(() => true, () => false)) loadable.push(model);
    }
    assert.ok(loadable.length >= 20, `${loadable.length} of the corpus could be registered`);
    const squeeze = await startSqueeze(["--model", TINY], { SQUEEZE_HOME: home });
    try {
      for (const { name, reason, code } of loadable) {
        const res = await postJson(squeeze.url, "/api/v1/load", { model_name: name }, squeeze.user);
        assert.ok(res.status >= 400 && res.status < 600, `${name}: ${res.status} ${res.body}`);
        const { error } = res.json() as { error: { message: string; type: string; code: string } };
        assert.equal(typeof error.type, "string", name);
        assert.equal(error.code, code, `${name}: ${error.message}`);
        assert.match(error.message, reason, `${name}: ${error.message}`);
        assert.ok(!error.message.includes(dir), `${name}: no local path reaches the client: ${error.message}`);
        assert.equal(squeeze.child.exitCode, null, `${name}: the server is alive`);
      }
      assert.ok(squeeze.output().includes(dir), "the server's log keeps the paths");
      const health = (await request(squeeze.url, "/health")).json() as { model: string; models: string[] };
      assert.deepEqual(health.models, ["tiny"]);
      const answer = await postJson(squeeze.url, "/v1/completions", { model: "tiny", prompt: "Hello", max_tokens: 2 });
      assert.equal(answer.status, 200, answer.body);
    } finally {
      await squeeze.stop();
    }
  });
});
