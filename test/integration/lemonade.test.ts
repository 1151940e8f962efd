// /v1/fim/completions as Continue's OpenAI adapter calls it, and Lemonade's management routes
// under /api/v1 (health, stats, system-info, load, unload), on a real `squeeze serve`.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { putInCache } from "../helpers/hfCache";
import { postJson, type RawResponse, request } from "../helpers/http";
import { TINY } from "../helpers/paths";
import { type SqueezeProcess, startSqueeze } from "../helpers/squeezeProcess";

interface Completion {
  object: string;
  choices: { text: string; finish_reason: string | null; delta?: { content?: string }; message?: { content: string } }[];
  usage?: { prompt_tokens: number; completion_tokens: number };
}

function assertError(res: RawResponse, status: number, param?: string, code?: string): string {
  assert.equal(res.status, status, res.body);
  const { error } = res.json() as { error: { message: string; type: string; param: string | null; code: string | null } };
  assert.ok(error.message.length > 10, "the message explains the problem");
  assert.equal(typeof error.type, "string");
  if (param !== undefined) assert.equal(error.param, param, res.body);
  if (code !== undefined) assert.equal(error.code, code, res.body);
  return error.message;
}

const HF_ID = "hf.co/test/Tiny-GGUF:Q8_0";

describe("FIM and Lemonade's management routes (squeeze serve)", function () {
  let squeeze: SqueezeProcess;
  let url: string;
  let model: string;
  let dir: string;
  const get = async <T>(route: string) => {
    const res = await request(url, route);
    assert.equal(res.status, 200, res.body);
    return res.json() as T;
  };
  const complete = (body: Record<string, unknown> = {}) =>
    postJson(url, "/v1/completions", { model, prompt: "def add(a, b):\n    ", max_tokens: 8, temperature: 0, ...body });

  before(async function () {
    dir = await mkdtemp(path.join(os.tmpdir(), "squeeze-lemonade-"));
    await putInCache(path.join(dir, "hub"), "test/Tiny-GGUF", { "tiny-q8_0.gguf": TINY });
    squeeze = await startSqueeze(["--model", TINY], {
      HF_HUB_CACHE: path.join(dir, "hub"),
      HF_HUB_OFFLINE: "1",
      SQUEEZE_HOME: path.join(dir, "squeeze"),
    });
    ({ url, modelId: model } = squeeze);
  });

  after(async function () {
    assert.equal(await squeeze.stop(), 0);
    await rm(dir, { recursive: true, force: true });
  });

  describe("POST /v1/fim/completions", function () {
    const fim = { prompt: "function add(a, b) {\n  ", suffix: "\n}\n", max_tokens: 6, temperature: 0 };

    it("fills in the middle, as /v1/completions does with a suffix", async function () {
      const res = await postJson(url, "/v1/fim/completions", { model, ...fim });
      assert.equal(res.status, 200, res.body);
      const body = res.json() as Completion;
      assert.equal(body.object, "text_completion");
      const same = (await complete(fim)).json() as Completion;
      assert.equal(body.choices[0].text, same.choices[0].text);
      assert.equal(body.choices[0].message?.content, body.choices[0].text, "Mistral-style clients read message.content");
      assert.equal(body.usage?.prompt_tokens, same.usage?.prompt_tokens);
      assert.equal(body.usage?.completion_tokens, 6);
    });

    it("streams as Continue asks for it, the text in delta.content and text", async function () {
      const whole = (await postJson(url, "/v1/fim/completions", { model, ...fim }).then((r) => r.json())) as Completion;
      // What @continuedev/openai-adapters' fimStream sends, to /api/v1 as well as /v1.
      for (const prefix of ["/v1", "/api/v1"]) {
        const res = await fetch(`${url}${prefix}/fim/completions`, {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json", Authorization: "Bearer unused" },
          body: JSON.stringify({ model, prompt: fim.prompt, suffix: fim.suffix, max_tokens: 6, temperature: 0, stop: ["\n\n"], stream: true }),
        });
        assert.equal(res.status, 200);
        assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
        const lines = (await res.text()).split("\n").filter((l) => l.startsWith("data: "));
        assert.equal(lines.at(-1), "data: [DONE]");
        const chunks = lines.slice(0, -1).map((l) => JSON.parse(l.slice(6)) as Completion);
        assert.ok(chunks.every((c) => c.object === "text_completion"));
        const content = chunks.map((c) => c.choices[0].delta?.content ?? "").join("");
        assert.equal(content, chunks.map((c) => c.choices[0].text).join(""));
        assert.equal(content, whole.choices[0].text.split("\n\n")[0]);
        assert.ok(chunks.at(-1)?.choices[0].finish_reason);
      }
    });

    it("refuses a request without a suffix, or with wrong types", async function () {
      assertError(await postJson(url, "/v1/fim/completions", { model, prompt: "x" }), 400, "suffix");
      assertError(await postJson(url, "/v1/fim/completions", { model, prompt: "x", suffix: null }), 400, "suffix");
      assertError(await postJson(url, "/v1/fim/completions", { model, prompt: "x", suffix: 5 }), 400, "suffix");
      assertError(await postJson(url, "/v1/fim/completions", { model, prompt: 42, suffix: "" }), 400, "prompt");
      assertError(await postJson(url, "/v1/fim/completions", { model, prompt: "x", suffix: "", max_tokens: "many" }), 400, "max_tokens");
      assertError(await postJson(url, "/v1/fim/completions", { model: "other", prompt: "x", suffix: "" }), 404, "model");
      assertError(await postJson(url, "/v1/fim/completions", "[1]"), 400);
      assertError(await postJson(url, "/v1/fim/completions", '{"model": '), 400);
      assertError(await request(url, "/v1/fim/completions", { method: "POST", headers: { "content-type": "text/plain" }, body: "x" }), 400);
    });
  });

  // After the FIM suite (mocha runs nested suites in order): these end by unloading the model.
  describe("Lemonade's routes under /api/v1", function () {
    it("GET /api/v1/health has Lemonade's fields and Squeeze's", async function () {
      const health = await get<Record<string, unknown>>("/api/v1/health");
      assert.equal(health.status, "ok");
      assert.equal(health.server, "Squeeze");
      assert.equal(typeof health.version, "string");
      assert.equal(health.model, model);
      assert.equal(health.backend, "llama.cpp");
      assert.equal(typeof health.context_size, "number");
      assert.ok("gpu" in health);
      assert.equal(health.model_loaded, model);
      assert.deepEqual(health.all_models_loaded, [
        {
          model_name: model,
          checkpoint: "tiny.gguf", // not the path: health needs no API key
          type: "llm",
          device: health.gpu ? "gpu" : "cpu",
          recipe: "llamacpp",
          recipe_options: { ctx_size: health.context_size },
          backend: "llama.cpp",
          squeeze: {
            loaded: true,
            task: "generate",
            roles: ["chat", "completion"],
            pinned: false,
            backend: "llama.cpp",
            device: health.gpu ? "gpu" : "cpu",
            context_size: health.context_size,
            parallel: 4,
            completion_sequences: 2,
            requests_running: 0,
            requests_waiting: 0,
            engine: "ready",
            last_failure: null,
            expires_at: null,
          },
        },
      ]);
      assert.deepEqual(health.roles, { chat: model, completion: model });
      const plain = await get<Record<string, unknown>>("/health");
      assert.equal(plain.server, "Squeeze");
      assert.equal(plain.model, model);
    });

    it("GET /api/v1/stats times the last request, beside the counters", async function () {
      const res = await complete({ prompt: "Once upon a time" });
      assert.equal(res.status, 200, res.body);
      const { usage } = res.json() as Completion;
      const stats = await get<Record<string, number>>("/api/v1/stats");
      assert.equal(stats.output_tokens, usage?.completion_tokens);
      assert.equal(stats.input_tokens, usage?.prompt_tokens);
      assert.equal(stats.prompt_tokens, usage?.prompt_tokens);
      assert.equal(typeof stats.cache_tokens, "number");
      assert.ok(stats.tokens_per_second > 0, JSON.stringify(stats));
      assert.ok(stats.time_to_first_token > 0 && stats.time_to_first_token < 30, JSON.stringify(stats));
      for (const counter of ["queued", "completed", "cancelled", "failed", "generatedTokens", "workerStarts"]) {
        assert.equal(typeof stats[counter], "number", counter);
      }
      assert.ok(stats.completed >= 1);
    });

    it("GET /api/v1/system-info describes this machine in Lemonade's shape", async function () {
      const info = await get<{
        "OS Version": string;
        Processor: string;
        "Physical Memory": string;
        devices: { cpu: { threads: number; available: boolean }; amd_gpu: unknown[]; nvidia_gpu: unknown[]; amd_npu: { available: boolean } };
        recipes: Record<string, { default_backend?: string; backends: Record<string, { state: string; devices: string[]; message: string }> }>;
      }>("/api/v1/system-info");
      assert.ok(info["OS Version"].length > 0);
      assert.equal(typeof info.Processor, "string");
      assert.match(info["Physical Memory"], /^\d+\.\d GB$/);
      assert.equal(info.devices.cpu.threads, os.availableParallelism());
      assert.equal(info.devices.cpu.available, true);
      assert.ok(Array.isArray(info.devices.amd_gpu) && Array.isArray(info.devices.nvidia_gpu));
      assert.equal(typeof info.devices.amd_npu.available, "boolean");
      const llamacpp = info.recipes.llamacpp;
      assert.deepEqual(llamacpp.backends.cpu, { devices: ["cpu"], state: "installed", message: "", action: "" });
      assert.equal(typeof llamacpp.default_backend, "string");
      for (const recipe of Object.values(info.recipes)) {
        for (const backend of Object.values(recipe.backends)) {
          assert.ok(["installed", "installable", "unsupported"].includes(backend.state));
          if (backend.state !== "installed") assert.ok(backend.message.length > 0, "says why");
        }
      }
    });

    it("POST /api/v1/load and /unload refuse bad input, paths and unknown ids", async function () {
      const load = (body: unknown) => postJson(url, "/api/v1/load", body, squeeze.user);
      assertError(await load("[1]"), 400, undefined, "invalid_body");
      assertError(await load("{"), 400, undefined, "invalid_json");
      assertError(await request(url, "/api/v1/load", { method: "POST", headers: squeeze.user }), 400, undefined, "invalid_body");
      assertError(await request(url, "/api/v1/load", { method: "POST", headers: { ...squeeze.user, "content-type": "text/plain" }, body: "x" }), 400);
      assert.match(assertError(await load({}), 400, "model_name"), /Missing required parameter 'model_name'/);
      assertError(await load({ model_name: 5 }), 400, "model_name");
      assertError(await load({ model_name: " " }), 400, "model_name");
      assertError(await load({ model_name: HF_ID, ctx_size: "big" }), 400, "ctx_size");
      assertError(await load({ model_name: HF_ID, ctx_size: 10 }), 400, "ctx_size");
      // Names that are paths are never opened, whether they exist or not.
      for (const name of ["../../etc/passwd", TINY, "test/.models/tiny.gguf", "C:\\models\\x.gguf", "hf.co/../x:Q8_0"]) {
        assertError(await load({ model_name: name }), 400, "model_name", "invalid_name");
      }
      // Exists beside the server, but is not an id.
      assertError(await load({ model_name: "package.json" }), 404, "model_name", "model_not_found");
      assertError(await load({ model_name: "no-such-model" }), 404, "model_name", "model_not_found");
      assert.match(assertError(await load({ model_name: "hf.co/test/Missing-GGUF:Q8_0" }), 404, "model_name"), /squeeze pull hf\.co\/test\/Missing-GGUF:Q8_0/);
      assert.equal((await get<{ model: string }>("/health")).model, model, "a refused load leaves the model loaded");

      assertError(await postJson(url, "/api/v1/unload", { model_name: 5 }, squeeze.user), 400, "model_name");
      assertError(await postJson(url, "/api/v1/unload", { model_name: "other" }, squeeze.user), 404, "model_name", "model_not_found");
      assertError(await postJson(url, "/api/v1/unload", "[]", squeeze.user), 400);
      assertError(await request(url, "/api/v1/unload", { method: "POST", headers: { ...squeeze.user, "content-type": "text/plain" }, body: "x" }), 400);
      assert.equal((await get<{ model: string }>("/health")).model, model);
    });

    it("unloads, then loads a downloaded model by its id", async function () {
      // As `curl -X POST .../unload` sends it: no body at all.
      const unloaded = await request(url, "/api/v1/unload", { method: "POST", headers: squeeze.user });
      assert.equal(unloaded.status, 200, unloaded.body);
      assert.deepEqual(unloaded.json(), { status: "success", message: "Model unloaded successfully" });
      assert.deepEqual((await get<{ data: unknown[] }>("/v1/models")).data, []);
      // The model was loaded by path: its name is no id, so a request for it is not loaded on demand.
      assertError(await complete(), 404, "model", "model_not_found");
      const empty = await get<Record<string, unknown>>("/api/v1/health");
      assert.equal(empty.model_loaded, null);
      assert.deepEqual(empty.all_models_loaded, []);

      // A request naming a downloaded model by its id loads it.
      const onDemand = await postJson(url, "/v1/completions", { model: HF_ID, prompt: "Hello", max_tokens: 2 });
      assert.equal(onDemand.status, 200, onDemand.body);
      assert.equal((await get<{ model_loaded: string }>("/api/v1/health")).model_loaded, HF_ID);
      assert.equal((await request(url, "/api/v1/unload", { method: "POST", headers: squeeze.user })).status, 200);

      const loaded = await postJson(url, "/api/v1/load", { model_name: HF_ID, ctx_size: 512 }, squeeze.user);
      assert.equal(loaded.status, 200, loaded.body);
      assert.deepEqual(loaded.json(), { status: "success", message: `Loaded model: ${HF_ID}` });
      assert.deepEqual((await get<{ data: { id: string }[] }>("/v1/models")).data.map((m) => m.id), [HF_ID]);
      model = HF_ID;
      const res = await complete();
      assert.equal(res.status, 200, res.body);
      assert.equal((res.json() as Completion).usage?.completion_tokens, 8);
      const health = await get<{ context_size: number; all_models_loaded: { model_name: string; checkpoint: string }[] }>("/api/v1/health");
      assert.equal(health.context_size, 512);
      assert.deepEqual(
        health.all_models_loaded.map((m) => [m.model_name, m.checkpoint]),
        [[HF_ID, "test/Tiny-GGUF:tiny-q8_0.gguf"]],
      );

      const named = await postJson(url, "/api/v1/unload", { model_name: HF_ID }, squeeze.user);
      assert.equal(named.status, 200, named.body);
      assert.equal((await get<{ model: string | null }>("/health")).model, null);
    });
  });
});
