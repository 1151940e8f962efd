// The model store as users reach it: `squeeze pull | list | rm | import`, and Lemonade's
// /api/v1 pull, delete and models on a running server, against the local stand-in hub.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { postJson, request } from "../helpers/http";
import { LocalHub } from "../helpers/localHub";
import { TINY } from "../helpers/paths";
import { runSqueeze, startSqueeze, type SqueezeProcess } from "../helpers/squeezeProcess";

describe("squeeze pull, list, rm, import and the /api/v1 model routes", function () {
  this.timeout(120_000);
  let hub: LocalHub;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    hub = new LocalHub();
    const url = await hub.start();
    hub.addRepo({ id: "test/Tiny-GGUF", files: [{ path: "tiny-q8_0.gguf", file: TINY }, { path: "README.md", content: Buffer.from("# tiny\n") }] });
    hub.addRepo({ id: "Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF", files: [{ path: "qwen2.5-coder-0.5b-instruct-q8_0.gguf", file: TINY }] });
    dir = await mkdtemp(path.join(os.tmpdir(), "squeeze-store-cli-"));
    env = { HF_ENDPOINT: url, HF_HUB_CACHE: path.join(dir, "hub"), SQUEEZE_HOME: path.join(dir, "squeeze"), HOME: path.join(dir, "home"), HF_TOKEN: "" };
  });
  after(async () => {
    await hub.close();
    await rm(dir, { recursive: true, force: true });
  });

  const listIds = async () => {
    const { code, output } = await runSqueeze(["list", "--json"], env);
    assert.equal(code, 0, output);
    return (JSON.parse(output) as { models: { id: string }[] }).models.map((m) => m.id);
  };

  it("pulls with plain progress lines, lists, serves, and deletes", async function () {
    const pulled = await runSqueeze(["pull", "hf.co/test/Tiny-GGUF:Q8_0"], env);
    assert.equal(pulled.code, 0, pulled.output);
    assert.match(pulled.output, /test\/Tiny-GGUF: 100% \(/);
    assert.match(pulled.output, /hf\.co\/test\/Tiny-GGUF:Q8_0: .* at .*tiny-q8_0\.gguf/);
    assert.deepEqual(await listIds(), ["hf.co/test/Tiny-GGUF:Q8_0"]);

    const server = await startSqueeze(["--model", "hf.co/test/Tiny-GGUF:Q8_0"], env);
    try {
      const completion = await postJson(server.url, "/v1/completions", { model: server.modelId, prompt: "Hello", max_tokens: 4 });
      assert.equal(completion.status, 200, completion.body);
    } finally {
      await server.stop();
    }

    const removed = await runSqueeze(["rm", "hf.co/test/Tiny-GGUF:Q8_0"], env);
    assert.equal(removed.code, 0, removed.output);
    assert.deepEqual(await listIds(), []);
    const again = await runSqueeze(["rm", "hf.co/test/Tiny-GGUF:Q8_0"], env);
    assert.equal(again.code, 1);
    assert.match(again.output, /is not downloaded/);
  });

  it("says clearly what went wrong", async function () {
    const missing = await runSqueeze(["pull", "hf.co/test/Missing-GGUF"], env);
    assert.equal(missing.code, 1);
    assert.match(missing.output, /squeeze: error: test\/Missing-GGUF@main was not found on http:\/\/127\.0\.0\.1:\d+ \(404/);
    const traversal = await runSqueeze(["pull", "../../etc/passwd"], env);
    assert.equal(traversal.code, 1);
    assert.match(traversal.output, /is not a valid model id/);
    const offline = await runSqueeze(["pull", "hf.co/test/Tiny-GGUF:Q4_K_M"], { ...env, HF_HUB_OFFLINE: "1" });
    assert.equal(offline.code, 1);
    assert.match(offline.output, /offline mode is on \(HF_HUB_OFFLINE\)/);
    const badToken = await runSqueeze(["pull", "hf.co/test/Tiny-GGUF:Q8_0"], { ...env, HF_TOKEN: "not-a-token" });
    assert.match(badToken.output, /does not start with hf_/);
    const badEndpoint = await runSqueeze(["pull", "hf.co/test/Tiny-GGUF:Q8_0"], { ...env, HF_ENDPOINT: "ftp://mirror" });
    assert.equal(badEndpoint.code, 1);
    assert.match(badEndpoint.output, /HF_ENDPOINT must be an http or https URL/);
  });

  it("serves with nothing downloaded, and a model pulled through the API then serves without a restart", async function () {
    const server = await startSqueeze(["--role", "chat"], env);
    try {
      assert.equal(server.modelId, "");
      const chat = () => postJson(server.url, "/v1/chat/completions", { model: "hf.co/test/Tiny-GGUF:Q8_0", messages: [{ role: "user", content: "hi" }], max_tokens: 3 });
      const missing = await chat();
      assert.equal(missing.status, 404, missing.body);
      assert.match(missing.body, /squeeze pull hf\.co\/test\/Tiny-GGUF:Q8_0/);
      const pulled = await postJson(server.url, "/api/v1/pull", { model_name: "hf.co/test/Tiny-GGUF:Q8_0" }, server.user);
      assert.equal(pulled.status, 200, pulled.body);
      const served = await chat();
      assert.equal(served.status, 200, served.body);
      assert.equal((served.json() as { model: string }).model, "hf.co/test/Tiny-GGUF:Q8_0");
      const health = (await (await fetch(`${server.url}/health`)).json()) as { model: string };
      assert.equal(health.model, "hf.co/test/Tiny-GGUF:Q8_0");
    } finally {
      await postJson(server.url, "/api/v1/delete", { model_name: "hf.co/test/Tiny-GGUF:Q8_0" }, server.user);
      assert.equal(await server.stop(), 0);
    }
  });

  describe("on a running server", function () {
    let server: SqueezeProcess;
    before(async () => {
      await runSqueeze(["pull", "hf.co/test/Tiny-GGUF:Q8_0"], env);
      server = await startSqueeze(["--model", "hf.co/test/Tiny-GGUF:Q8_0"], env);
    });
    after(() => server.stop());

    it("pulls a catalog variant with progress streamed as SSE, lists and deletes it", async function () {
      const res = await fetch(`${server.url}/api/v1/pull`, {
        method: "POST",
        headers: { ...server.user, "content-type": "application/json" },
        body: JSON.stringify({ model_name: "qwen2.5-coder-0.5b-instruct:q8_0", stream: true }),
      });
      assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
      const events = [...(await res.text()).matchAll(/event: (\w+)\ndata: (.*)\n\n/g)].map((m) => ({ event: m[1], data: JSON.parse(m[2]) as Record<string, unknown> }));
      const complete = events.at(-1)!;
      assert.equal(complete.event, "complete", JSON.stringify(events));
      assert.equal(complete.data.percent, 100);
      assert.equal(complete.data.model, "qwen2.5-coder-0.5b-instruct:q8_0");
      const progress = events.filter((e) => e.event === "progress").at(-1)!;
      assert.equal(progress.data.bytes_downloaded, (await stat(TINY)).size);
      assert.equal(progress.data.total_files, 1);

      const models = (await request(server.url, "/api/v1/models")).json() as { data: { id: string; downloaded: boolean; recipe: string }[] };
      assert.deepEqual(models.data.map((m) => m.id).sort(), ["hf.co/test/Tiny-GGUF:Q8_0", "qwen2.5-coder-0.5b-instruct:q8_0"]);
      assert.ok(models.data.every((m) => m.downloaded));
      const all = (await request(server.url, "/api/v1/models?show_all=true")).json() as { data: { id: string; downloaded: boolean }[] };
      assert.ok(all.data.some((m) => m.id === "qwen3-8b:q4_k_m" && !m.downloaded));
      const one = (await request(server.url, "/api/v1/models/qwen2.5-coder-0.5b-instruct:q8_0")).json() as { downloaded: boolean };
      assert.equal(one.downloaded, true);
      // OpenAI clients still see only the model they can call now.
      const openai = (await request(server.url, "/v1/models")).json() as { data: { id: string }[] };
      assert.deepEqual(openai.data.map((m) => m.id), [server.modelId]);

      const deleted = await postJson(server.url, "/api/v1/delete", { model_name: "qwen2.5-coder-0.5b-instruct:q8_0" }, server.user);
      assert.equal(deleted.status, 200, deleted.body);
      assert.deepEqual(deleted.json(), { status: "success", message: "Deleted model: qwen2.5-coder-0.5b-instruct:q8_0" });
      assert.deepEqual(await listIds(), ["hf.co/test/Tiny-GGUF:Q8_0"]);
    });

    it("stops a pull whose client goes away, and resumes it on the next pull", async function () {
      const bytes = Buffer.alloc(6 * 1024 * 1024, 7);
      hub.addRepo({ id: "test/Slow-GGUF", files: [{ path: "slow-q4_k_m.gguf", content: bytes }] });
      hub.inject({ kind: "slow", bytesPerSecond: 1024 * 1024, path: "slow-q4_k_m.gguf" });
      const client = new AbortController();
      const res = await fetch(`${server.url}/api/v1/pull`, {
        method: "POST",
        headers: { ...server.user, "content-type": "application/json" },
        body: JSON.stringify({ model_name: "hf.co/test/Slow-GGUF", stream: true }),
        signal: client.signal,
      });
      const reader = res.body!.getReader();
      for (let text = ""; !/"bytes_downloaded":[1-9]/.test(text); ) text += new TextDecoder().decode((await reader.read()).value);
      client.abort();
      const digest = createHash("sha256").update(bytes).digest("hex");
      const partial = path.join(env.HF_HUB_CACHE!, "models--test--Slow-GGUF", "blobs", `${digest}.incomplete`);
      await new Promise((r) => setTimeout(r, 500));
      const before = (await stat(partial)).size;
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal((await stat(partial)).size, before, "nothing more is downloaded");
      assert.ok(before < bytes.length);
      hub.clearFaults();
      const done = await postJson(server.url, "/api/v1/pull", { model_name: "hf.co/test/Slow-GGUF" }, server.user);
      assert.equal(done.status, 200, done.body);
      assert.ok(hub.requests.some((r) => r.range === `bytes=${before}-${bytes.length - 1}`), "the second pull resumed");
    });

    it("pulls without streaming, and answers bad requests in OpenAI's error shape", async function () {
      const plain = await postJson(server.url, "/api/v1/pull", { model_name: "qwen2.5-coder-0.5b-instruct:q8_0" }, server.user);
      assert.equal(plain.status, 200, plain.body);
      assert.equal((plain.json() as { status: string }).status, "success");
      await postJson(server.url, "/api/v1/delete", { model_name: "qwen2.5-coder-0.5b-instruct:q8_0" }, server.user);

      const cases: [unknown, number, string][] = [
        [{}, 400, "invalid_type"],
        [{ model_name: 42 }, 400, "invalid_type"],
        [{ model_name: "../../etc/passwd" }, 400, "invalid_name"],
        [{ model_name: "%2e%2e/x" }, 400, "invalid_name"],
        [{ model_name: "/etc/passwd" }, 400, "invalid_name"],
        [{ model_name: "hf.co/../x:Q4_K_M" }, 400, "invalid_name"],
        [{ model_name: "no-such-model" }, 404, "not_found"],
        [{ model_name: "hf.co/test/Missing-GGUF" }, 404, "not_found"],
      ];
      for (const [body, status, code] of cases) {
        const res = await postJson(server.url, "/api/v1/pull", body, server.user);
        assert.equal(res.status, status, `${JSON.stringify(body)}: ${res.body}`);
        const error = (res.json() as { error: { code: string; message: string; type: string } }).error;
        assert.equal(error.code, code, res.body);
        assert.ok(error.message.length > 10);
      }
      const streamed = await fetch(`${server.url}/api/v1/pull`, {
        method: "POST",
        headers: { ...server.user, "content-type": "application/json" },
        body: JSON.stringify({ model_name: "hf.co/test/Missing-GGUF", stream: true }),
      });
      assert.match(await streamed.text(), /event: error\ndata: \{"error":\{"message":".*not found.*","type":"not_found_error","param":"model_name","code":"not_found"\}\}/);
      const notDownloaded = await postJson(server.url, "/api/v1/delete", { model_name: "qwen2.5-coder-0.5b-instruct:q8_0" }, server.user);
      assert.equal(notDownloaded.status, 404);
      const notJson = await request(server.url, "/api/v1/pull", { method: "POST", headers: { ...server.user, "content-type": "text/plain" }, body: "x" });
      assert.equal(notJson.status, 400);
    });
  });

  it("imports GGUFs from LM Studio and Ollama without copying them", async function () {
    const home = env.HOME!;
    const lmFile = path.join(home, ".lmstudio", "models", "someone", "Tiny-GGUF", "tiny-Q8_0.gguf");
    await mkdir(path.dirname(lmFile), { recursive: true });
    await copyFile(TINY, lmFile);
    const bytes = await readFile(TINY);
    const digest = createHash("sha256").update(bytes).digest("hex");
    const ollama = path.join(home, ".ollama", "models");
    await mkdir(path.join(ollama, "blobs"), { recursive: true });
    await copyFile(TINY, path.join(ollama, "blobs", `sha256-${digest}`));
    const manifest = path.join(ollama, "manifests", "registry.ollama.ai", "library", "tiny", "latest");
    await mkdir(path.dirname(manifest), { recursive: true });
    await writeFile(manifest, JSON.stringify({ layers: [{ mediaType: "application/vnd.ollama.image.model", digest: `sha256:${digest}` }] }));

    const found = await runSqueeze(["import"], env);
    assert.equal(found.code, 0, found.output);
    assert.match(found.output, /lmstudio\s+someone\/Tiny-GGUF\/tiny-Q8_0\.gguf/);
    assert.match(found.output, /ollama\s+tiny:latest/);

    const imported = await runSqueeze(["import", "tiny:latest"], env);
    assert.equal(imported.code, 0, imported.output);
    assert.match(imported.output, /^tiny-latest: .*sha256-/m);
    assert.ok((await listIds()).includes("tiny-latest"));
    const server = await startSqueeze(["--model", "tiny-latest"], env);
    await server.stop();
    const removed = await runSqueeze(["rm", "tiny-latest"], env);
    assert.match(removed.output, /stays/);
    assert.ok((await stat(path.join(ollama, "blobs", `sha256-${digest}`))).isFile(), "Ollama's file is untouched");

    const junk = path.join(dir, "junk.gguf");
    await writeFile(junk, "not a model");
    const refused = await runSqueeze(["import", junk], env);
    assert.equal(refused.code, 1);
    assert.match(refused.output, /is not a GGUF model/);
  });
});
