// Several models loaded at once in a real `squeeze serve`: each with its own engine, loaded on
// demand, the least recently used unloaded past --max-models, pinned ones kept, Ollama's
// keep_alive, and a model that fails to load leaving the others serving.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { eventually } from "../helpers/eventually";
import { putInCache } from "../helpers/hfCache";
import { postJson, request } from "../helpers/http";
import { TINY } from "../helpers/paths";
import { type SqueezeProcess, startSqueeze } from "../helpers/squeezeProcess";

const id = (name: string) => `hf.co/test/${name}-GGUF:Q8_0`;
const [ALPHA, BETA, GAMMA, BROKEN] = [id("Alpha"), id("Beta"), id("Gamma"), id("Broken")];

interface ModelEntry {
  id: string;
  squeeze: { loaded: boolean; roles: string[]; pinned: boolean; requests_running: number; expires_at: string | null };
}

describe("several models loaded at once (squeeze serve)", function () {
  this.timeout(120_000);
  let dir: string;
  let squeeze: SqueezeProcess;
  let url: string;

  const loaded = async () => {
    const res = await request(url, "/v1/models");
    assert.equal(res.status, 200, res.body);
    return (res.json() as { data: ModelEntry[] }).data;
  };
  const ids = async () => (await loaded()).map((m) => m.id).sort();
  const complete = (model: string, body: Record<string, unknown> = {}) =>
    postJson(url, "/v1/completions", { model, prompt: "Once upon a time", max_tokens: 4, temperature: 0, ...body });

  before(async function () {
    dir = await mkdtemp(path.join(os.tmpdir(), "squeeze-pool-"));
    const hub = path.join(dir, "hub");
    for (const name of ["Alpha", "Beta", "Gamma"]) await putInCache(hub, `test/${name}-GGUF`, { "model-q8_0.gguf": TINY });
    // Passes the header check, then fails in the runtime's loader.
    const header = Buffer.alloc(4096);
    header.write("GGUF", 0);
    header.writeUInt32LE(3, 4);
    await putInCache(hub, "test/Broken-GGUF", { "model-q8_0.gguf": header });
    squeeze = await startSqueeze(["--model", ALPHA, "--completion-model", BETA, "--max-models", "2", "--parallel", "2"], {
      HF_HUB_CACHE: hub,
      HF_HUB_OFFLINE: "1",
      SQUEEZE_HOME: path.join(dir, "squeeze"),
    });
    url = squeeze.url;
  });

  after(async function () {
    assert.equal(await squeeze?.stop(), 0);
    await rm(dir, { recursive: true, force: true });
  });

  it("loads the chat and completion models together, each answering its own requests at the same time", async function () {
    assert.match(squeeze.output(), new RegExp(`serving "${ALPHA}" and "${BETA}" for completions`));
    const models = await loaded();
    assert.deepEqual(models.map((m) => [m.id, m.squeeze.roles]), [[ALPHA, ["chat"]], [BETA, ["completion"]]]);
    const health = (await (await request(url, "/health")).json()) as { model: string; roles: { chat: string; completion: string } };
    assert.deepEqual([health.model, health.roles], [ALPHA, { chat: ALPHA, completion: BETA }]);

    // A long generation on the chat model runs while the completion model answers.
    const controller = new AbortController();
    const long = fetch(`${url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      // Up to the end of its context: far longer than the rest of the test.
      body: JSON.stringify({ model: ALPHA, prompt: "Once", stream: true }),
      signal: controller.signal,
    });
    assert.equal((await long).status, 200);
    const reader = (await long).body!.getReader();
    await reader.read();
    try {
      const running = await loaded();
      assert.deepEqual(running.map((m) => m.squeeze.requests_running), [1, 0]);
      const res = await complete(BETA);
      assert.equal(res.status, 200, res.body);
      assert.equal((res.json() as { model: string }).model, BETA);
      assert.equal((await loaded()).find((m) => m.id === ALPHA)!.squeeze.requests_running, 1, "the chat model is still generating");
    } finally {
      controller.abort();
      await reader.cancel().catch(() => undefined);
    }
  });

  it("loads a third model on demand and unloads the least recently used, but never a pinned one", async function () {
    // Beta was used last; Alpha goes.
    assert.equal((await complete(BETA)).status, 200);
    await eventually(async () => (await loaded()).find((m) => m.id === ALPHA)!.squeeze.requests_running === 0, "the cancelled generation to end");
    const res = await complete(GAMMA);
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(await ids(), [BETA, GAMMA].sort());
    assert.match(squeeze.output(), new RegExp(`unloading ${ALPHA.replace(/[.:]/g, "\\$&")}, the least recently used`));

    // Pinned, Gamma stays although Beta is used after it: loading Alpha again unloads Beta.
    const pin = await postJson(url, "/api/v1/pin", { model_name: GAMMA }, squeeze.user);
    assert.equal(pin.status, 200, pin.body);
    assert.equal((await complete(BETA)).status, 200);
    assert.equal((await complete(ALPHA)).status, 200);
    assert.deepEqual(await ids(), [ALPHA, GAMMA].sort());
    assert.equal((await loaded()).find((m) => m.id === GAMMA)!.squeeze.pinned, true);

    // Both pinned: a third cannot load, and says why, in OpenAI's shape with Retry-After.
    assert.equal((await postJson(url, "/api/v1/pin", { model_name: ALPHA }, squeeze.user)).status, 200);
    const refused = await complete(BETA);
    assert.equal(refused.status, 503, refused.body);
    assert.match((refused.json() as { error: { message: string } }).error.message, /busy or pinned/);
    assert.ok(refused.headers["retry-after"]);
    for (const model of [ALPHA, GAMMA]) assert.equal((await postJson(url, "/api/v1/pin", { model_name: model, pinned: false }, squeeze.user)).status, 200);
    assert.equal((await postJson(url, "/api/v1/pin", { model_name: BETA }, squeeze.user)).status, 404, "only a loaded model is pinned");
  });

  it("unloads a model after a request with Ollama's keep_alive 0, and keeps one with -1", async function () {
    const gone = await postJson(url, "/api/generate", { model: GAMMA, prompt: "Once", stream: false, keep_alive: 0, options: { num_predict: 2 } }, squeeze.user);
    assert.equal(gone.status, 200, gone.body);
    await eventually(async () => !(await ids()).includes(GAMMA), "keep_alive 0 to unload it");

    // A duration sets an expiry, and a negative one clears it again.
    const expiry = async (model: string) => (await loaded()).find((m) => m.id === model)!.squeeze.expires_at;
    assert.equal((await postJson(url, "/api/generate", { model: BETA, prompt: "", keep_alive: 600 })).status, 200);
    assert.notEqual(await expiry(BETA), null);
    const kept = await postJson(url, "/api/generate", { model: BETA, prompt: "", keep_alive: "-1m" });
    assert.equal(kept.status, 200, kept.body);
    assert.equal((kept.json() as { done_reason: string }).done_reason, "load");
    assert.equal(await expiry(BETA), null);
    const timed = await postJson(url, "/api/chat", { model: ALPHA, messages: [], keep_alive: "10m" });
    assert.equal(timed.status, 200, timed.body);
    const ps = (await (await request(url, "/api/ps")).json()) as { models: { name: string; expires_at: string }[] };
    const expires = Date.parse(ps.models.find((m) => m.name === ALPHA)!.expires_at);
    assert.ok(Math.abs(expires - (Date.now() + 10 * 60_000)) < 30_000, ps.models.find((m) => m.name === ALPHA)!.expires_at);

    // A load request with keep_alive 0 is Ollama's unload.
    const unload = await postJson(url, "/api/generate", { model: ALPHA, keep_alive: 0 }, squeeze.user);
    assert.equal((unload.json() as { done_reason: string }).done_reason, "unload");
    assert.deepEqual(await ids(), [BETA]);

    const bad = await postJson(url, "/api/generate", { model: BETA, prompt: "", keep_alive: "soon" });
    assert.equal(bad.status, 400, bad.body);
    assert.match((bad.json() as { error: string }).error, /keep_alive/);
  });

  it("keeps the loaded models serving when another fails to load", async function () {
    const before = await ids();
    const res = await complete(BROKEN);
    assert.ok(res.status >= 400 && res.status < 600, res.body);
    assert.deepEqual(await ids(), before);
    for (const model of before) assert.equal((await complete(model)).status, 200);
  });
});
