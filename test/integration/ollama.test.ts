// Ollama's API on the same port, driven by the real `ollama` npm client against a real `squeeze serve`,
// and bad input on each route with raw HTTP.
import assert from "node:assert/strict";
import { Ollama, type ChatResponse, type GenerateResponse } from "ollama";
import { postJson, type RawResponse, request } from "../helpers/http";
import { TINY, TINY_ONNX } from "../helpers/paths";
import { type SqueezeProcess, startSqueeze } from "../helpers/squeezeProcess";

function assertOllamaError(res: RawResponse, status: number, mentions?: RegExp): void {
  assert.equal(res.status, status, res.body);
  const body = res.json() as { error: unknown };
  assert.equal(typeof body.error, "string", `Ollama's shape is {"error": string}: ${res.body}`);
  assert.ok((body.error as string).length > 5, "the message explains the problem");
  if (mentions) assert.match(body.error as string, mentions);
}

/** The statistics Ollama puts on the last object of every generation. */
function assertFinal(r: ChatResponse | GenerateResponse, doneReason: string, evalCount?: number): void {
  assert.equal(r.done, true);
  assert.equal(r.done_reason, doneReason);
  if (evalCount !== undefined) assert.equal(r.eval_count, evalCount);
  assert.ok(r.prompt_eval_count > 0);
  for (const field of ["total_duration", "prompt_eval_duration", "eval_duration"] as const) {
    assert.ok(Number.isInteger(r[field]) && r[field] > 0, `${field} is ${r[field]} ns`);
  }
  assert.ok(r.total_duration >= r.prompt_eval_duration + r.eval_duration - 1e6);
}

describe("Ollama API (ollama npm client against squeeze serve)", function () {
  let squeeze: SqueezeProcess;
  let url: string;
  let model: string;
  let client: Ollama;
  const messages = [{ role: "user", content: "Write a haiku about the sea." }];

  before(async function () {
    squeeze = await startSqueeze(["--model", TINY]);
    ({ url, modelId: model } = squeeze);
    client = new Ollama({ host: url });
  });

  after(async function () {
    assert.equal(await squeeze.stop(), 0);
  });

  it("reports a version Ollama clients can parse", async function () {
    const { version } = await client.version();
    assert.match(version, /^\d+\.\d+\.\d+$/);
  });

  it("lists the loaded model with its details (tags and ps)", async function () {
    const { models } = await client.list();
    assert.equal(models.length, 1);
    const [entry] = models;
    assert.equal(entry.name, model);
    assert.equal(entry.model, model);
    assert.ok(entry.size > 100_000, `size ${entry.size}`);
    assert.match(entry.digest, /^[0-9a-f]{64}$/);
    assert.ok(!Number.isNaN(Date.parse(String(entry.modified_at))));
    assert.equal(entry.details.format, "gguf");
    assert.equal(entry.details.family, "qwen2");
    assert.equal(entry.details.quantization_level, "F32");
    assert.match(entry.details.parameter_size, /^\d+(\.\d+)?[KMB]$/);
    const running = await client.ps();
    assert.deepEqual(running.models.map((m) => m.name), [model]);
  });

  it("shows the model, also under ':latest' and the older `name` field", async function () {
    const shown = await client.show({ model });
    assert.deepEqual(shown.capabilities, ["completion", "insert"]);
    assert.equal(shown.details.family, "qwen2");
    const info = shown.model_info as unknown as Record<string, unknown>;
    assert.equal(info["general.architecture"], "qwen2");
    assert.equal(typeof info["general.parameter_count"], "number");
    assert.match(shown.template, /im_start/, "the model's own chat template");
    assert.doesNotMatch(shown.modelfile, /\.gguf|\/test\//, "no path on the server's disk");
    assert.deepEqual((await client.show({ model: `${model}:latest` })).details, shown.details);
    const byName = await postJson(url, "/api/show", { name: model });
    assert.equal(byName.status, 200, byName.body);
  });

  it("answers a chat in one object when not streamed", async function () {
    const r = await client.chat({ model, messages, options: { num_predict: 8, temperature: 0 } });
    assert.equal(r.model, model);
    assert.equal(r.message.role, "assistant");
    assert.ok(r.message.content.length > 0);
    assert.ok(!Number.isNaN(Date.parse(String(r.created_at))));
    assertFinal(r, "length", 8);
    assert.ok(r.prompt_eval_count > 10, "the chat template wraps the message");
  });

  it("streams a chat as NDJSON whose parts add up to the same answer", async function () {
    const options = { num_predict: 12, temperature: 0 };
    const plain = await client.chat({ model, messages, options });
    const parts: ChatResponse[] = [];
    for await (const part of await client.chat({ model: `${model}:latest`, messages, options, stream: true })) parts.push(part);
    assert.ok(parts.length >= 3);
    assert.ok(parts.slice(0, -1).every((p) => !p.done && p.message.role === "assistant" && p.model === `${model}:latest`));
    const last = parts.at(-1)!;
    assert.equal(last.message.content, "");
    assertFinal(last, "length", 12);
    assert.equal(parts.map((p) => p.message.content).join(""), plain.message.content);

    // Streaming is the default without the client, whose default is the other way.
    const raw = await postJson(url, "/api/chat", { model, messages, options: { num_predict: 3 } });
    assert.equal(raw.status, 200);
    assert.match(String(raw.headers["content-type"]), /^application\/x-ndjson/);
    const lines = raw.body.trim().split("\n").map((l) => JSON.parse(l) as ChatResponse);
    assert.equal(lines.length, 4);
    assert.equal(lines.at(-1)?.done, true);
  });

  it("constrains a chat to JSON with format (json, or a JSON Schema)", async function () {
    const schema = { type: "object", properties: { answer: { type: "string", maxLength: 10 }, sure: { type: "boolean" } }, required: ["answer", "sure"] };
    const r = await client.chat({ model, messages: [{ role: "user", content: "Reply in JSON" }], format: schema, stream: false, options: { num_predict: 200 } });
    const parsed = JSON.parse(r.message.content) as { answer: unknown; sure: unknown };
    assert.equal(typeof parsed.answer, "string");
    assert.equal(typeof parsed.sure, "boolean");
    const plain = await client.chat({ model, messages: [{ role: "user", content: "Reply in JSON" }], format: "json", stream: false, options: { num_predict: 200 } });
    assert.equal(typeof JSON.parse(plain.message.content), "object");
  });

  it("takes tools, earlier calls and tool results", async function () {
    const tools = [{ type: "function", function: { name: "get_weather", description: "Weather for a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } }];
    const plain = await client.chat({ model, messages, stream: false, options: { num_predict: 2 } });
    const withTools = await client.chat({
      model,
      messages: [
        ...messages,
        { role: "assistant", content: "", tool_calls: [{ function: { name: "get_weather", arguments: { city: "Paris" } } }] },
        { role: "tool", content: "Sunny" },
      ],
      tools,
      stream: false,
      options: { num_predict: 2 },
    });
    assert.equal(withTools.done, true);
    assert.ok(withTools.prompt_eval_count > plain.prompt_eval_count + 20, "the tools, the call and its result are in the prompt");
    const bad = await postJson(url, "/api/chat", { model, messages, tools: [{ type: "function", function: { name: "no spaces" } }], stream: false });
    assertOllamaError(bad, 400, /tools\.0\.function\.name/);
  });

  it("ends at a stop sequence with done_reason stop", async function () {
    const full = (await client.generate({ model, prompt: "Once upon a time", raw: true, options: { num_predict: 32, temperature: 0 } })).response ?? "";
    assert.ok(full.length >= 12, `need some text to cut: ${JSON.stringify(full)}`);
    const stop = full.slice(8, 11);
    const cut = await client.generate({ model, prompt: "Once upon a time", raw: true, options: { num_predict: 32, temperature: 0, stop: [stop] } });
    assert.equal(cut.response, full.slice(0, full.indexOf(stop)));
    assertFinal(cut, "stop");
  });

  it("generates with a suffix as fill-in-the-middle", async function () {
    const prompt = "def add(a, b):\n    ";
    const options = { num_predict: 6, temperature: 0 };
    const raw = await client.generate({ model, prompt, raw: true, options });
    const fim = await client.generate({ model, prompt, suffix: "\n    return c\n", options });
    assert.ok(fim.response?.length);
    assertFinal(fim, "length", 6);
    // The suffix and the three FIM markers are part of the prompt the model saw.
    const extra = fim.prompt_eval_count - raw.prompt_eval_count;
    assert.ok(extra >= 3 + 3, `the infill prompt is longer by ${extra} tokens`);
  });

  it("streams a generate, through the chat template unless raw", async function () {
    const prompt = "The quick brown fox";
    const options = { num_predict: 7, temperature: 0 };
    const parts: GenerateResponse[] = [];
    for await (const part of await client.generate({ model, prompt, options, stream: true })) parts.push(part);
    const last = parts.at(-1)!;
    assertFinal(last, "length", 7);
    const plain = await client.generate({ model, prompt, options });
    assert.equal(parts.map((p) => p.response).join(""), plain.response);

    const raw = await client.generate({ model, prompt, raw: true, options });
    assert.ok(last.prompt_eval_count > raw.prompt_eval_count + 4, "the template wraps the prompt as a user message");
    const withSystem = await client.generate({ model, prompt, system: "You are terse.", options });
    assert.ok(withSystem.prompt_eval_count > last.prompt_eval_count, "the system prompt is part of it");
  });

  it("answers Ollama's load requests (empty prompt, no messages) at once", async function () {
    const loaded = await client.generate({ model, prompt: "" });
    assert.equal(loaded.done, true);
    assert.equal(loaded.done_reason, "load");
    assert.equal(loaded.response, "");
    const chatLoaded = await client.chat({ model, messages: [] });
    assert.equal(chatLoaded.done_reason, "load");
  });

  it("reads a body sent as curl sends it without a Content-Type (form-urlencoded)", async function () {
    const res = await request(url, "/api/generate", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: JSON.stringify({ model, prompt: "hi", stream: false, options: { num_predict: 2 } }),
    });
    assert.equal(res.status, 200, res.body);
    assert.equal((res.json() as GenerateResponse).eval_count, 2);
  });

  it("a streamed chat that the client aborts frees the server", async function () {
    const stats = async () => (await request(url, "/api/v1/stats")).json() as { cancelled: number };
    const before = await stats();
    const stream = await client.chat({ model, messages, options: { num_predict: 3000 }, stream: true });
    let parts = 0;
    await assert.rejects(async () => {
      for await (const part of stream) {
        assert.equal(part.done, false);
        if (++parts === 3) stream.abort();
      }
    }, /abort/i);

    let after = await stats();
    for (let i = 0; i < 50 && after.cancelled === before.cancelled; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = await stats();
    }
    assert.equal(after.cancelled, before.cancelled + 1, "the engine reports the request cancelled");
    const started = Date.now();
    const next = await client.generate({ model, prompt: "Next", options: { num_predict: 2 } });
    assertFinal(next, "length", 2);
    assert.ok(Date.now() - started < 5000, `the next request took ${Date.now() - started} ms`);
  });

  describe("bad input, answered in Ollama's error shape", function () {
    const chat = (body: Record<string, unknown>) =>
      postJson(url, "/api/chat", { model, messages: [{ role: "user", content: "hi" }], stream: false, ...body });
    const generate = (body: Record<string, unknown>) => postJson(url, "/api/generate", { model, prompt: "hi", stream: false, ...body });

    afterEach(async function () {
      // Whatever the last test sent, the server still answers a real request.
      const ok = await chat({ options: { num_predict: 2 } });
      assert.equal(ok.status, 200, ok.body);
    });

    for (const route of ["/api/chat", "/api/generate", "/api/show"]) {
      it(`${route}: no body, a body that is not JSON or not an object`, async function () {
        assertOllamaError(await request(url, route, { method: "POST" }), 400, /no body/);
        assertOllamaError(await request(url, route, { method: "POST", headers: { "content-type": "text/plain" }, body: "hello" }), 400, /JSON/);
        assertOllamaError(await postJson(url, route, "[1, 2]"), 400, /JSON object/);
        assertOllamaError(await postJson(url, route, '"model"'), 400, /JSON object/);
        assertOllamaError(await postJson(url, route, '{"model": "x", '), 400, /not valid JSON/);
      });

      it(`${route}: no model, an unknown model, a model of the wrong type`, async function () {
        const body = route === "/api/chat" ? { messages: [{ role: "user", content: "hi" }] } : { prompt: "hi" };
        assertOllamaError(await postJson(url, route, { ...body, stream: false }), 400, /'model'/);
        const unknown = await postJson(url, route, { ...body, model: "llama3.2", stream: false });
        assertOllamaError(unknown, 404, route === "/api/show" ? /^model 'llama3\.2' not found$/ : /^model "llama3\.2" not found, try pulling it first$/);
        assertOllamaError(await postJson(url, route, { ...body, model: 42, stream: false }), 400, /'model'/);
        assertOllamaError(await postJson(url, route, { ...body, model: "", stream: false }), 400, /'model'/);
      });
    }

    it("/api/chat: wrong types", async function () {
      assertOllamaError(await chat({ messages: "hi" }), 400, /'messages'/);
      assertOllamaError(await chat({ messages: [{ role: "wizard", content: "hi" }] }), 400, /'messages\.0\.role'/);
      assertOllamaError(await chat({ messages: [{ role: "user", content: 7 }] }), 400, /'messages\.0\.content'/);
      assertOllamaError(await chat({ messages: [{ role: "user", content: "hi", images: ["iVBOR"] }] }), 400, /images are not supported/);
      assertOllamaError(await chat({ stream: "yes" }), 400, /'stream'/);
      assertOllamaError(await chat({ options: "hot" }), 400, /'options'/);
    });

    it("options out of type or range, on both generation routes", async function () {
      for (const send of [chat, generate]) {
        assertOllamaError(await send({ options: { temperature: "hot" } }), 400, /'options\.temperature'/);
        assertOllamaError(await send({ options: { temperature: -1 } }), 400, /'options\.temperature'/);
        assertOllamaError(await send({ options: { num_predict: -5 } }), 400, /'options\.num_predict'/);
        assertOllamaError(await send({ options: { num_predict: 0 } }), 400, /'options\.num_predict'/);
        assertOllamaError(await send({ options: { num_predict: 2.5 } }), 400, /'options\.num_predict'/);
        assertOllamaError(await send({ options: { top_p: 1.5 } }), 400, /'options\.top_p'/);
        assertOllamaError(await send({ options: { stop: "\n" } }), 400, /'options\.stop'/);
        assertOllamaError(await send({ options: { repeat_penalty: 0 } }), 400, /'options\.repeat_penalty'/);
      }
      // Ollama's -1 means no limit; unknown options (num_ctx, mirostat) are ignored as Ollama ignores them.
      const unlimited = await generate({ options: { num_predict: -1, stop: ["\n", "a"], num_ctx: 1024, mirostat: 0 }, keep_alive: "5m" });
      assert.equal(unlimited.status, 200, unlimited.body);
    });

    it("/api/generate: wrong types", async function () {
      assertOllamaError(await generate({ prompt: 42 }), 400, /'prompt'/);
      assertOllamaError(await generate({ suffix: ["x"] }), 400, /'suffix'/);
      assertOllamaError(await generate({ raw: "yes" }), 400, /'raw'/);
      assertOllamaError(await generate({ system: 1 }), 400, /'system'/);
      assertOllamaError(await generate({ images: ["iVBOR"] }), 400, /images are not supported/);
    });

    it("a prompt longer than the context, streamed or not, keeps its real status", async function () {
      const long = "hello world ".repeat(6000);
      for (const stream of [false, true]) assertOllamaError(await generate({ prompt: long, raw: true, stream }), 400, /context/);
    });

    it("routes of Ollama's that Squeeze does not serve", async function () {
      assertOllamaError(await postJson(url, "/api/pull", { model: "llama3.2" }), 404, /\/api\/pull/);
      assertOllamaError(await request(url, "/api/tags", { method: "DELETE" }), 404);
      // The OpenAI routes under /api/v1 keep their own 404.
      const v1 = await request(url, "/api/v1/nope");
      assert.equal(v1.status, 404);
      assert.equal(typeof (v1.json() as { error: unknown }).error, "object");
    });
  });
});

describe("Ollama API on an ONNX model folder", function () {
  let squeeze: SqueezeProcess;
  let client: Ollama;

  before(async function () {
    squeeze = await startSqueeze(["--model", TINY_ONNX]);
    client = new Ollama({ host: squeeze.url });
  });

  after(async function () {
    assert.equal(await squeeze.stop(), 0);
  });

  it("lists and shows the folder, and streams a chat", async function () {
    const [entry] = (await client.list()).models;
    assert.equal(entry?.name, squeeze.modelId);
    assert.equal(entry.details.format, "onnx");
    assert.equal(entry.details.family, "qwen2");
    assert.ok(entry.size > 100_000, "the folder's files added up");
    const shown = await client.show({ model: squeeze.modelId });
    assert.deepEqual(shown.capabilities, ["completion", "insert"], "the tokenizer has FIM tokens");
    const parts: ChatResponse[] = [];
    const stream = await client.chat({ model: squeeze.modelId, messages: [{ role: "user", content: "hi" }], options: { num_predict: 4 }, stream: true });
    for await (const part of stream) parts.push(part);
    assertFinal(parts.at(-1)!, "length", 4);
  });
});
