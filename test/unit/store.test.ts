// Finding models in the Hugging Face cache, and the user's own model list.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Variant } from "../../src/core/catalog/catalogSchema";
import { parseModelSource, UserCatalog } from "../../src/core/catalog/userCatalog";
import { hubCacheDir, localSnapshot, localVariantPath } from "../../src/core/store/hfCache";
import { localGgufFiles } from "../../src/core/store/localGguf";
import { putInCache } from "../helpers/hfCache";
import { TINY, TINY_ONNX } from "../helpers/paths";

describe("model store", function () {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(path.join(os.tmpdir(), "squeeze-store-"))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("finds the cache where huggingface_hub does", function () {
    assert.equal(hubCacheDir({ HF_HUB_CACHE: "/x/hub" }), "/x/hub");
    assert.equal(hubCacheDir({ HF_HOME: "/y" }), "/y/hub");
    assert.equal(hubCacheDir({}), path.join(os.homedir(), ".cache/huggingface/hub"));
  });

  it("finds a variant only when all of its files are in the snapshot refs/main names", async function () {
    const gguf: Variant = {
      id: "q4_k_m", recipe: "llamacpp", repo: "Qwen/Split-GGUF", quant: "Q4_K_M",
      files: ["m-q4_k_m-00001-of-00002.gguf", "m-q4_k_m-00002-of-00002.gguf"], sizeGB: 1, minRamGB: 2,
    };
    assert.equal(await localVariantPath(dir, gguf), undefined, "empty cache");
    await putInCache(dir, "Qwen/Split-GGUF", { "m-q4_k_m-00001-of-00002.gguf": Buffer.from("part 1") });
    assert.equal(await localVariantPath(dir, gguf), undefined, "one part of two is not a model");
    const snapshot = await putInCache(dir, "Qwen/Split-GGUF", { "m-q4_k_m-00002-of-00002.gguf": Buffer.from("part 2") });
    assert.equal(await localVariantPath(dir, gguf), path.join(snapshot, "m-q4_k_m-00001-of-00002.gguf"));
    assert.equal(await localSnapshot(dir, "Qwen/Split-GGUF", "v2"), undefined, "another revision is not there");

    const folder: Variant = { id: "cpu", recipe: "onnx-cpu", repo: "amd/Tiny-onnx", files: ["*"], sizeGB: 1, minRamGB: 2 };
    await putInCache(dir, "amd/Tiny-onnx", { "model.onnx": path.join(TINY_ONNX, "model.onnx") });
    assert.equal(await localVariantPath(dir, folder), undefined, "a folder without genai_config.json is not whole");
    const onnx = await putInCache(dir, "amd/Tiny-onnx", { "genai_config.json": path.join(TINY_ONNX, "genai_config.json") });
    assert.equal(await localVariantPath(dir, folder), onnx);
    assert.equal(await localVariantPath(dir, { id: "flm", recipe: "flm", tag: "qwen3:4b", sizeGB: 1, minRamGB: 2 }), undefined);
  });

  it("finds a hf.co/owner/repo:QUANT GGUF by its quantisation", async function () {
    const snapshot = await putInCache(dir, "someone/Model-GGUF", {
      "Model-Q8_0.gguf": Buffer.from("q8"),
      "Model-Q4_K_M.gguf": Buffer.from("q4"),
      "sub/Model-IQ4_XS.gguf": Buffer.from("iq4"),
    });
    assert.equal((await localGgufFiles(dir, "someone/Model-GGUF", "Q4_K_M"))?.[0], path.join(snapshot, "Model-Q4_K_M.gguf"));
    assert.equal((await localGgufFiles(dir, "someone/Model-GGUF", "q8_0"))?.[0], path.join(snapshot, "Model-Q8_0.gguf"));
    assert.equal((await localGgufFiles(dir, "someone/Model-GGUF", "IQ4_XS"))?.[0], path.join(snapshot, "sub/Model-IQ4_XS.gguf"));
    assert.equal((await localGgufFiles(dir, "someone/Model-GGUF", "Q2_K"))?.[0], undefined);
  });

  it("parses model sources and refuses malformed Hugging Face ones", function () {
    assert.deepEqual(parseModelSource("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:q8_0"), { kind: "hf", repo: "bartowski/Llama-3.2-1B-Instruct-GGUF", quant: "Q8_0" });
    assert.deepEqual(parseModelSource("hf.co/owner/repo"), { kind: "hf", repo: "owner/repo", quant: "Q4_K_M" });
    for (const bad of ["hf.co/../etc:Q4", "hf.co/owner/..:Q4", "hf.co/owner", "huggingface.co/a/b/c", "hf.co/owner/repo:Q4/../x"]) {
      assert.throws(() => parseModelSource(bad), /not (a valid Hugging Face repository|of the form)/, bad);
    }
    assert.deepEqual(parseModelSource("models/x.gguf"), { kind: "path", path: path.resolve("models/x.gguf") });
  });

  it("keeps user models in a file: add, list, remove, and refuse duplicates and damage", async function () {
    const file = path.join(dir, "config", "models.json");
    const catalog = new UserCatalog(file);
    assert.deepEqual(await catalog.list(), [], "no file yet: no models");
    const hf = await catalog.add("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q8_0");
    assert.deepEqual([hf.id, hf.source, hf.backend], ["llama-3.2-1b-instruct-gguf-q8_0", "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q8_0", "llama.cpp"]);
    const local = await catalog.add(TINY, { capabilities: ["chat", "fim"] });
    assert.deepEqual([local.id, local.source, local.backend], ["tiny", TINY, "llama.cpp"]);
    const folder = await catalog.add(TINY_ONNX, { id: "My ONNX" });
    assert.deepEqual([folder.id, folder.backend], ["my-onnx", "onnx"]);
    assert.deepEqual((await new UserCatalog(file).list()).map((m) => m.id), ["llama-3.2-1b-instruct-gguf-q8_0", "tiny", "my-onnx"]);

    await assert.rejects(catalog.add(TINY), /already in/);
    await assert.rejects(catalog.add(path.join(dir, "missing.gguf")), /does not exist/);
    assert.equal(await catalog.remove("tiny"), true);
    assert.equal(await catalog.remove("tiny"), false);
    assert.deepEqual((await catalog.list()).map((m) => m.id), ["llama-3.2-1b-instruct-gguf-q8_0", "my-onnx"]);

    await writeFile(file, "{ not json");
    await assert.rejects(catalog.list(), /not valid JSON: fix it or move it away/);
    await assert.rejects(catalog.add("hf.co/a/b:Q4_0"), /not valid JSON/);
    assert.equal(await readFile(file, "utf8"), "{ not json", "a damaged file is never overwritten");
    await writeFile(file, JSON.stringify({ version: 1, models: [{ id: "x", source: "/x", backend: "tpu", capabilities: ["chat"], addedAt: "" }] }));
    await assert.rejects(catalog.list(), /models\.0\.backend/);
  });
});
