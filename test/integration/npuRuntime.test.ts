// AMD NPU runtime backend: Squeeze starts AMD's runtime server (here a fake speaking the same
// command lines and OpenAI protocol, test/helpers/fakeNpuRuntime.ts), waits for it, streams
// through it, survives its death, and never leaves it running.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import OpenAI from "openai";
import { NpuRuntimeBackend, type NpuBackendOptions } from "../../src/core/backends/npu/npuRuntimeBackend";
import { FLM, RYZENAI_SERVER, type RuntimeDescriptor } from "../../src/core/backends/npu/runtimeDescriptors";
import { EngineError } from "../../src/core/protocol/errors";
import type { GenerationEvent, GenerationOptions, LoadSpec } from "../../src/core/protocol/types";
import { findNpuRuntimes } from "../../src/core/hardware/npuRuntimes";
import { locateModel } from "../../src/core/models/modelLocation";
import { installedFlmTags } from "../../src/core/store/flmModels";
import { buildTokenizer } from "../fixtures/tokenizer";
import { eventually } from "../helpers/eventually";
import { type FakeNpuInstall, fakeNpuInstall } from "../helpers/fakeNpu";
import { startSqueeze } from "../helpers/squeezeProcess";

interface FakeStats {
  pid: number;
  args: string[];
  tokensGenerated: number;
  requestsCompleted: number;
  requestsAborted: number;
  active: number;
  lastRequest: Record<string, unknown>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function collect(events: AsyncIterable<GenerationEvent>) {
  const texts: Array<Extract<GenerationEvent, { type: "text" }>> = [];
  let done: Extract<GenerationEvent, { type: "done" }> | undefined;
  for await (const event of events) {
    if (event.type === "text") texts.push(event);
    else done = event;
  }
  assert.ok(done, "the stream ends with done");
  return { text: texts.map((t) => t.text).join(""), texts, done };
}

async function rejection(promise: Promise<unknown>): Promise<EngineError> {
  const err = await promise.then(
    () => assert.fail("expected a failure"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof EngineError, String(err));
  return err;
}

const user = (content: string) => [{ role: "user" as const, content }];
const never = new AbortController().signal;

(process.platform === "win32" ? describe.skip : describe)("AMD NPU runtime backend (fake runtime)", function () {
  let fake: FakeNpuInstall;
  const loadedBackends: NpuRuntimeBackend[] = [];

  before(function () {
    fake = fakeNpuInstall();
  });

  afterEach(async function () {
    await Promise.all(loadedBackends.splice(0).map((b) => b.unload()));
  });

  after(function () {
    fake.remove();
  });

  function backend(descriptor: RuntimeDescriptor = RYZENAI_SERVER, options: NpuBackendOptions = {}): NpuRuntimeBackend {
    const b = new NpuRuntimeBackend(descriptor, { env: fake.env, ...options });
    loadedBackends.push(b);
    return b;
  }

  const ryzenSpec = (): LoadSpec => ({ id: "npu", path: fake.folder, backend: "ryzenai" });
  const flmSpec = (tag = "llama3.2:1b"): LoadSpec => ({ id: tag, path: tag, backend: "flm" });

  /** The fake's own report, from the port the backend names in ModelInfo.runtime. */
  async function stats(b: NpuRuntimeBackend): Promise<FakeStats> {
    const port = /on port (\d+)/.exec(b.info()?.runtime ?? "")?.[1];
    assert.ok(port, `a port in ${b.info()?.runtime}`);
    return (await (await fetch(`http://127.0.0.1:${port}/test/stats`)).json()) as FakeStats;
  }

  describe("finding the runtimes", function () {
    let dir: string;
    beforeEach(function () {
      dir = mkdtempSync(path.join(os.tmpdir(), "squeeze-npu-find-"));
    });
    afterEach(function () {
      rmSync(dir, { recursive: true, force: true });
    });

    it("finds them by override, on PATH and in Lemonade's download folder; a missing one is not listed", async function () {
      assert.deepEqual(await findNpuRuntimes(fake.env), [
        { runtime: "ryzenai-server", path: fake.ryzenaiServer },
        { runtime: "flm", path: fake.flm },
      ]);
      assert.deepEqual(
        (await findNpuRuntimes({ PATH: `/nonexistent:${fake.bin}`, HOME: dir })).map((r) => r.path),
        [fake.ryzenaiServer, fake.flm],
      );
      assert.deepEqual(await findNpuRuntimes({ PATH: "", HOME: dir }), [], "nothing installed: no NPU recipe to offer");

      const lemonade = path.join(dir, "lemonade-cache");
      const unpacked = path.join(lemonade, "bin/ryzenai-server/npu/ryzenai-server-v1");
      mkdirSync(unpacked, { recursive: true });
      copyFileSync(fake.ryzenaiServer, path.join(unpacked, "ryzenai-server"));
      assert.deepEqual(await findNpuRuntimes({ PATH: "", HOME: dir, LEMONADE_CACHE_DIR: lemonade }), [
        { runtime: "ryzenai-server", path: path.join(unpacked, "ryzenai-server") },
      ]);
    });

    it("takes an override as the only place, and counts only executable files", async function () {
      const notExecutable = path.join(dir, "ryzenai-server");
      writeFileSync(notExecutable, "#!/bin/sh\n");
      const found = await findNpuRuntimes({ PATH: fake.bin, HOME: dir, SQUEEZE_RYZENAI_SERVER: notExecutable });
      assert.deepEqual(found, [{ runtime: "flm", path: fake.flm }]);
    });

    it("on Windows looks for PATHEXT's .exe and FastFlowLM's Program Files folder", async function () {
      mkdirSync(path.join(dir, "tools"));
      writeFileSync(path.join(dir, "tools", "ryzenai-server.exe"), "");
      writeFileSync(path.join(dir, "tools", "ryzenai-server.bat"), "");
      mkdirSync(path.join(dir, "flm"));
      writeFileSync(path.join(dir, "flm", "flm.exe"), "");
      const env = { Path: path.join(dir, "tools"), PATHEXT: ".COM;.EXE;.BAT;.CMD", ProgramFiles: dir, USERPROFILE: dir };
      assert.deepEqual(await findNpuRuntimes(env, "win32"), [
        { runtime: "ryzenai-server", path: path.join(dir, "tools", "ryzenai-server.exe") },
        { runtime: "flm", path: path.join(dir, "flm", "flm.exe") },
      ]);
    });
  });

  it("sends a folder built for AMD's NPU to the ryzenai backend, and flm:<tag> to flm", async function () {
    assert.equal((await locateModel(fake.folder)).backend, "ryzenai");
    assert.equal((await locateModel(path.join(fake.folder, "genai_config.json"))).backend, "ryzenai");
    assert.deepEqual(await locateModel("flm:qwen3:8b"), { backend: "flm", path: "qwen3:8b", name: "qwen3:8b" });
  });

  it("starts ryzenai-server on a loopback port, waits for its health and reports it", async function () {
    const b = backend();
    const info = await b.load(ryzenSpec());
    assert.equal(info.backend, "ryzenai");
    assert.equal(info.architecture, "qwen2");
    assert.equal(info.contextSize, 4096, "the folder's context_length, below the default 8192");
    assert.equal(info.gpu, false);
    assert.match(info.runtime, new RegExp(`^ryzenai-server \\(${fake.ryzenaiServer}\\) pid \\d+ on port \\d+$`));
    const s = await stats(b);
    assert.match(info.runtime, new RegExp(`pid ${s.pid} `));
    assert.deepEqual(s.args, ["-m", fake.folder, "--port", /on port (\d+)/.exec(info.runtime)![1], "--ctx-size", "4096"]);
  });

  it("sends nothing to a program that takes the runtime's port before the runtime binds it", async function () {
    const portFile = path.join(fake.bin, "squatted-port");
    rmSync(portFile, { force: true });
    const loading = rejection(backend(RYZENAI_SERVER, { env: { ...fake.env, FAKE_NPU_PORT_FILE: portFile } }).load(ryzenSpec()));
    const port = await eventually(async () => Number(readFileSync(portFile, "utf8")) || undefined, "the port the runtime was given");
    // This process, not the runtime's, answers there: it would receive the prompts.
    const seen: string[] = [];
    const squatter = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.end("{}");
    });
    await new Promise<void>((resolve) => squatter.listen(port, "127.0.0.1", resolve));
    try {
      const err = await loading;
      assert.equal(err.code, "runtime_unavailable");
      assert.match(err.message, new RegExp(`was stopped, and nothing sent to port ${port}: port ${port} is held by a process that Squeeze did not start`));
      assert.deepEqual(seen.filter((r) => !r.startsWith("GET /health")), [], "only the readiness probe reached it");
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it("streams a chat and a completion, with the options in OpenAI's names and the runtime's usage", async function () {
    const b = backend();
    await b.load(ryzenSpec());
    const options: GenerationOptions = { maxTokens: 5, temperature: 0.5, topK: 7, topP: 0.9, seed: 3, repeatPenalty: 1.1, stop: ["END"] };
    const chat = await collect(b.chat(user("say five words"), options, never));
    assert.equal(chat.text, "tok0 tok1 tok2 tok3 tok4");
    assert.deepEqual(chat.texts.map((t) => t.tokens), [1, 1, 1, 1, 1]);
    assert.deepEqual(chat.done, { type: "done", finishReason: "length", usage: { promptTokens: 3, cachedTokens: 0, completionTokens: 5 } });
    const sent = (await stats(b)).lastRequest;
    assert.deepEqual(sent, {
      messages: user("say five words"),
      max_tokens: 5,
      temperature: 0.5,
      top_p: 0.9,
      top_k: 7,
      seed: 3,
      stop: ["END"],
      repeat_penalty: 1.1,
      stream: true,
      stream_options: { include_usage: true },
    });

    const completion = await collect(b.complete("once upon a time [stop-after:3]", {}, never));
    assert.equal(completion.text, "tok0 tok1 tok2");
    assert.equal(completion.done.finishReason, "stop");
    assert.equal(completion.done.usage.completionTokens, 3);
    assert.equal((await stats(b)).lastRequest.prompt, "once upon a time [stop-after:3]");
  });

  it("turns the runtime's refusal into invalid_request", async function () {
    const b = backend();
    await b.load(ryzenSpec());
    const err = await rejection(collect(b.complete("", {}, never)));
    assert.equal(err.code, "invalid_request");
    assert.match(err.message, /ryzenai-server refused the request: Missing prompt/);
  });

  it("fills in the middle with the folder's FIM tokens, and tokenizes with its tokenizer", async function () {
    const b = backend();
    await b.load(ryzenSpec());
    const r = await collect(b.infill("def f(", "):\n", { maxTokens: 2 }, never));
    assert.equal(r.text, "tok0 tok1");
    assert.equal((await stats(b)).lastRequest.prompt, "<|fim_prefix|>def f(<|fim_suffix|>):\n<|fim_middle|>");
    const ids = await b.tokenize({ text: "<|im_start|>user" });
    assert.ok(!ids.includes(buildTokenizer().specialIds.imStart), `text is counted as text: ${ids}`);
    assert.ok(ids.length > 2);
    await assert.rejects(b.tokenize({ messages: user("hi") }), (err: EngineError) => err.code === "invalid_request");
  });

  it("cancelling closes the request, and the runtime stops generating", async function () {
    const b = backend();
    await b.load(ryzenSpec());
    const controller = new AbortController();
    const seen: string[] = [];
    const run = (async () => {
      for await (const event of b.chat(user("a long answer [slow:30]"), { maxTokens: 500 }, controller.signal)) {
        if (event.type === "text") seen.push(event.text);
        if (seen.length === 3) controller.abort();
      }
    })();
    await assert.rejects(run, (err: Error) => err.name === "AbortError");
    await eventually(async () => (await stats(b)).requestsAborted === 1, "the runtime to see the disconnect", 10_000, 25);
    const s = await stats(b);
    assert.equal(s.active, 0, "nothing is generating");
    assert.ok(s.tokensGenerated < 20, `stopped early: ${s.tokensGenerated} of 500 tokens`);
    const after = await collect(b.chat(user("again"), { maxTokens: 2 }, never));
    assert.equal(after.text, "tok0 tok1", "the runtime still serves");
  });

  it("a spent time budget closes the stream and ends the answer as it is", async function () {
    const b = backend();
    await b.load(ryzenSpec());
    const events: GenerationEvent[] = [];
    for await (const event of b.chat(user("a long answer [slow:30]"), { maxTokens: 500, maxPredictMs: 200 }, never)) events.push(event);
    const done = events.at(-1);
    assert.ok(done?.type === "done");
    assert.equal(done.finishReason, "length");
    assert.ok(done.usage.completionTokens >= 1 && done.usage.completionTokens < 50, `${done.usage.completionTokens} of 500 tokens in 200 ms`);
    await eventually(async () => (await stats(b)).requestsAborted === 1, "the runtime to see the disconnect", 10_000, 25);
  });

  it("a runtime that dies mid-stream fails the request clearly, and the next request starts it again", async function () {
    const b = backend();
    await b.load(ryzenSpec());
    const before = await stats(b);
    const texts: string[] = [];
    const err = await rejection(
      (async () => {
        for await (const event of b.chat(user("crash [die-after:3]"), { maxTokens: 50 }, never)) {
          if (event.type === "text") texts.push(event.text);
        }
      })(),
    );
    assert.deepEqual(texts, ["tok0", " tok1", " tok2"], "what came before the crash was delivered");
    assert.equal(err.code, "runtime_crashed");
    assert.match(err.message, new RegExp(`^AMD's NPU runtime ryzenai-server \\(pid ${before.pid}\\) exited with code 3 during the request`));
    assert.match(err.message, /dying after 3 tokens as asked/, "the runtime's last output");
    assert.match(err.message, /next request starts it again/);
    assert.equal(alive(before.pid), false);

    const recovered = await collect(b.chat(user("hello"), { maxTokens: 3 }, never));
    assert.equal(recovered.text, "tok0 tok1 tok2");
    const after = await stats(b);
    assert.notEqual(after.pid, before.pid, "a new runtime process");
    assert.match(b.info()!.runtime, new RegExp(`pid ${after.pid} `));
  });

  it("a runtime that stops answering mid-stream is stopped and started again", async function () {
    const b = backend(RYZENAI_SERVER, { idleTimeoutMs: 1_000 });
    await b.load(ryzenSpec());
    const stuck = await stats(b);
    const err = await rejection(collect(b.chat(user("think hard [slow:30000]"), {}, never)));
    assert.equal(err.code, "runtime_crashed");
    assert.match(err.message, /^AMD's NPU runtime ryzenai-server stopped answering \(nothing arrived for 1 s\); it was stopped/);
    assert.equal(alive(stuck.pid), false);
    assert.equal((await collect(b.chat(user("hi"), { maxTokens: 1 }, never))).text, "tok0");
  });

  it("a runtime that exits while starting fails the load with its output", async function () {
    const err = await rejection(backend(FLM).load(flmSpec("notpulled:1b")));
    assert.equal(err.code, "runtime_unavailable");
    assert.match(err.message, /^AMD's NPU runtime flm exited with code 1 while starting; its last output:/);
    assert.match(err.message, /model notpulled:1b is not installed; run: flm pull notpulled:1b/);
  });

  it("a runtime that never answers is stopped after the timeout", async function () {
    const b = backend(RYZENAI_SERVER, { env: { ...fake.env, FAKE_NPU_LOAD_MS: "600000" }, readyTimeoutMs: 4_000 });
    const err = await rejection(b.load(ryzenSpec()));
    assert.equal(err.code, "runtime_unavailable");
    assert.match(err.message, /^AMD's NPU runtime ryzenai-server did not answer on \/health within 4 s and was stopped/);
    const pid = Number(/\(pid (\d+)\)/.exec(err.message)?.[1]);
    assert.ok(pid > 0, `the fake's pid in its output: ${err.message}`);
    assert.equal(alive(pid), false);
  });

  it("a missing executable is runtime_unavailable, saying what to install or which override is wrong", async function () {
    const home = mkdtempSync(path.join(os.tmpdir(), "squeeze-npu-none-"));
    try {
      const missing = await rejection(backend(RYZENAI_SERVER, { env: { PATH: "", HOME: home } }).load(ryzenSpec()));
      assert.equal(missing.code, "runtime_unavailable");
      assert.match(missing.message, /AMD's NPU runtime ryzenai-server is not installed .*install Lemonade/);
      const wrong = await rejection(backend(FLM, { env: { PATH: "", HOME: home, SQUEEZE_FLM: path.join(home, "flm") } }).load(flmSpec()));
      assert.equal(wrong.code, "runtime_unavailable");
      assert.match(wrong.message, /SQUEEZE_FLM is set to .*flm, which is not an executable file/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("runs a FastFlowLM tag with flm's command line, naming the model in each request", async function () {
    const b = backend(FLM);
    const info = await b.load(flmSpec());
    assert.equal(info.backend, "flm");
    assert.equal(info.architecture, "llama3.2");
    const s = await stats(b);
    assert.deepEqual(s.args.slice(0, 4), ["serve", "llama3.2:1b", "--ctx-len", "8192"]);
    assert.deepEqual(s.args.slice(6), ["--host", "127.0.0.1", "--quiet"]);
    const r = await collect(b.chat(user("hi"), { maxTokens: 2 }, never));
    assert.equal(r.text, "tok0 tok1");
    assert.equal((await stats(b)).lastRequest.model, "llama3.2:1b");
    assert.equal((await rejection(b.tokenize({ text: "hi" }))).code, "invalid_request");
    assert.throws(() => b.infill("a", "b", {}, never), (err: EngineError) => err.code === "invalid_request");
  });

  it("asks flm which tags it has pulled, so serve offers only those", async function () {
    assert.deepEqual([...(await installedFlmTags(fake.flm))].sort(), ["llama3.2:1b", "qwen3:0.6b"]);
    assert.deepEqual([...(await installedFlmTags(path.join(fake.bin, "no-such-flm")))], [], "no flm: nothing pulled");
  });

  it("unload stops the runtime", async function () {
    const b = backend();
    await b.load(ryzenSpec());
    const { pid } = await stats(b);
    assert.equal(alive(pid), true);
    await b.unload();
    assert.equal(alive(pid), false);
    assert.equal(b.info(), undefined);
  });

  it("squeeze serve streams a chat through the runtime, which does not outlive a killed Squeeze", async function () {
    const squeeze = await startSqueeze(["--model", fake.folder], fake.env);
    try {
      const loaded = /ryzenai-server \(.*\) pid (\d+) on port \d+/.exec(squeeze.output());
      assert.ok(loaded, squeeze.output());
      const pid = Number(loaded[1]);
      const client = new OpenAI({ baseURL: `${squeeze.url}/v1`, apiKey: "unused", maxRetries: 0 });
      const stream = await client.chat.completions.create({
        model: squeeze.modelId,
        messages: user("stream please"),
        max_tokens: 4,
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = "";
      let usage: OpenAI.CompletionUsage | undefined | null;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? "";
        usage = chunk.usage ?? usage;
      }
      assert.equal(text, "tok0 tok1 tok2 tok3");
      assert.equal(usage?.completion_tokens, 4);

      await squeeze.stop("SIGKILL");
      await eventually(async () => !alive(pid), "the runtime to be gone with Squeeze", 10_000, 25);
    } finally {
      await squeeze.stop("SIGKILL");
    }
  });

  it("squeeze serve answers 503 runtime_crashed when the runtime dies, and the next request works", async function () {
    const squeeze = await startSqueeze(["--model", fake.folder], fake.env);
    try {
      const client = new OpenAI({ baseURL: `${squeeze.url}/v1`, apiKey: "unused", maxRetries: 0 });
      const ask = (content: string) => client.chat.completions.create({ model: squeeze.modelId, messages: user(content), max_tokens: 3 });
      const err = await ask("crash [die-after:2]").then(
        () => assert.fail("the request succeeded"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof OpenAI.APIError, String(err));
      assert.equal(err.status, 503);
      assert.equal(err.code, "runtime_crashed");
      assert.match(err.message, /ryzenai-server \(pid \d+\) exited with code 3 during the request/);
      assert.equal((await ask("hello")).choices[0]?.message.content, "tok0 tok1 tok2");
    } finally {
      assert.equal(await squeeze.stop("SIGTERM"), 0, "clean exit, the runtime stopped with it");
    }
  });

  it("squeeze serve refuses an NPU folder when no runtime is installed", async function () {
    const home = mkdtempSync(path.join(os.tmpdir(), "squeeze-npu-none-"));
    try {
      const err = await startSqueeze(["--model", fake.folder], { PATH: process.env.PATH, HOME: home, SQUEEZE_RYZENAI_SERVER: "" }).then(
        () => assert.fail("it started"),
        (e: Error) => e,
      );
      assert.match(err.message, /exited \(1\)/);
      assert.match(err.message, /ryzenai-server is not installed/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
