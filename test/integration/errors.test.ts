// Bad input from outside: each is answered 4xx in OpenAI's error shape, and the server keeps serving.
import assert from "node:assert/strict";
import OpenAI from "openai";
import { postJson, type RawResponse, request } from "../helpers/http";
import { TINY_MODELS } from "../helpers/backends";
import { TINY } from "../helpers/paths";
import { type SqueezeProcess, startSqueeze } from "../helpers/squeezeProcess";

function assertOpenAiError(res: RawResponse, status: number, param?: string): void {
  assert.equal(res.status, status, res.body);
  const { error } = res.json() as { error: Record<string, unknown> };
  assert.equal(typeof error.message, "string");
  assert.ok((error.message as string).length > 5, "the message explains the problem");
  assert.equal(typeof error.type, "string");
  assert.ok("param" in error && "code" in error, "OpenAI's shape has param and code (null allowed)");
  if (param !== undefined) assert.equal(error.param, param);
}

for (const tiny of TINY_MODELS) {
  describe(`bad input is refused in OpenAI's error shape (${tiny.backend})`, function () {
    let squeeze: SqueezeProcess;
    let url: string;
    let model: string;
    const chat = (body: Record<string, unknown>) =>
      postJson(url, "/v1/chat/completions", { model, messages: [{ role: "user", content: "hi" }], max_tokens: 2, ...body });

    before(async function () {
      squeeze = await startSqueeze(["--model", tiny.model]);
      ({ url, modelId: model } = squeeze);
    });

    afterEach(async function () {
      // Whatever the last test sent, the server still answers a real request.
      const ok = await chat({});
      assert.equal(ok.status, 200, ok.body);
    });

    after(async function () {
      assert.equal(await squeeze.stop(), 0);
    });

    it("malformed JSON", async function () {
      assertOpenAiError(await postJson(url, "/v1/chat/completions", '{"model": "x", "messages": ['), 400);
    });

    it("a body that is not a JSON object", async function () {
      assertOpenAiError(await postJson(url, "/v1/chat/completions", "[1, 2]"), 400);
      assertOpenAiError(await request(url, "/v1/chat/completions", { method: "POST", body: "hello" }), 400);
    });

    it("wrong types", async function () {
      assertOpenAiError(await chat({ messages: "hi" }), 400, "messages");
      assertOpenAiError(await chat({ temperature: "hot" }), 400, "temperature");
      assertOpenAiError(await chat({ stream: "yes" }), 400, "stream");
      assertOpenAiError(await chat({ messages: [{ role: "wizard", content: "hi" }] }), 400);
      assertOpenAiError(await postJson(url, "/v1/completions", { model, prompt: 42 }), 400, "prompt");
      assertOpenAiError(await postJson(url, "/v1/completions", { model, prompt: "" }), 400, "prompt");
    });

    it("no messages", async function () {
      assertOpenAiError(await postJson(url, "/v1/chat/completions", { model }), 400, "messages");
      assertOpenAiError(await chat({ messages: [] }), 400, "messages");
    });

    it("no model, or an unknown model", async function () {
      assertOpenAiError(await postJson(url, "/v1/chat/completions", { messages: [{ role: "user", content: "hi" }] }), 400, "model");
      const res = await chat({ model: "gpt-4o" });
      assertOpenAiError(res, 404, "model");
      assert.equal((res.json() as { error: { code: string } }).error.code, "model_not_found");
    });

    it("max_tokens 0, negative, fractional or absurd", async function () {
      for (const max_tokens of [0, -5, 2.5, 100_000_000]) assertOpenAiError(await chat({ max_tokens }), 400, "max_tokens");
    });

    it("temperature, top_p and penalties out of range", async function () {
      assertOpenAiError(await chat({ temperature: 3 }), 400, "temperature");
      assertOpenAiError(await chat({ temperature: -0.1 }), 400, "temperature");
      assertOpenAiError(await chat({ top_p: 1.5 }), 400, "top_p");
      assertOpenAiError(await chat({ presence_penalty: 9 }), 400, "presence_penalty");
      assertOpenAiError(await chat({ n: 3 }), 400, "n");
    });

    it("a body over the size limit", async function () {
      const huge = "x".repeat(12 * 1024 * 1024);
      assertOpenAiError(await chat({ messages: [{ role: "user", content: huge }] }), 413);
    });

    it("a prompt longer than the context", async function () {
      const long = "hello world ".repeat(6000);
      for (const stream of [false, true]) {
        // Streamed too: the refusal comes before any SSE header, with its real status.
        const res = await chat({ messages: [{ role: "user", content: long }], stream });
        assertOpenAiError(res, 400, "messages");
        assert.equal((res.json() as { error: { code: string } }).error.code, "context_length_exceeded");
      }
    });

    it("a JSON schema nested 6,000 objects deep (30 KB), more times than the model has slots", async function () {
      // Written out by hand: JSON.stringify itself runs out of stack on it.
      const schema = '{"properties":{"a":'.repeat(3000) + '{"type":"string"}' + "}}".repeat(3000);
      const body = (stream: boolean) =>
        `{"model":${JSON.stringify(model)},"stream":${stream},"messages":[{"role":"user","content":"hi"}],"max_tokens":2,"response_format":{"type":"json_schema","json_schema":{"name":"deep","schema":${schema}}}}`;
      // Each refusal frees its place in the queue: the normal request after this test still runs.
      for (let i = 0; i < 8; i++) {
        const res = await postJson(url, "/v1/chat/completions", body(i % 2 === 1));
        assertOpenAiError(res, 400, "response_format.json_schema.schema");
        assert.match(res.body, /is nested more than 64 levels deep/);
      }
    });

    it("a foreign Host header (DNS rebinding)", async function () {
      assertOpenAiError(await request(url, "/v1/models", { headers: { host: "attacker.example:8000" } }), 403);
      const ok = await request(url, "/v1/models", { headers: { host: `localhost:${new URL(url).port}` } });
      assert.equal(ok.status, 200);
    });

    it("a cross-origin request from a web page", async function () {
      const body = { model, messages: [{ role: "user", content: "hi" }] };
      assertOpenAiError(await postJson(url, "/v1/chat/completions", body, { origin: "https://evil.example" }), 403);
      const preflight = await request(url, "/v1/chat/completions", {
        method: "OPTIONS",
        headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
      });
      assert.equal(preflight.status, 403);
      assert.equal(preflight.headers["access-control-allow-origin"], undefined);
    });

    it("an unknown route", async function () {
      assertOpenAiError(await request(url, "/v1/nope"), 404);
    });
  });
}

describe("API key, allowed origins and allowed hosts", function () {
  let squeeze: SqueezeProcess;

  before(async function () {
    squeeze = await startSqueeze([
      "--model", TINY, "--api-key", "s3cret", "--allow-origin", "https://app.example", "--allow-host", "squeeze.lan",
    ]);
  });

  after(async function () {
    assert.equal(await squeeze.stop("SIGINT"), 0, "clean exit on SIGINT");
  });

  it("refuses a missing or wrong key and accepts the right one", async function () {
    assertOpenAiError(await request(squeeze.url, "/v1/models"), 401);
    assertOpenAiError(await request(squeeze.url, "/v1/models", { headers: { authorization: "Bearer wrong" } }), 401);
    assert.equal((await request(squeeze.url, "/v1/models", { headers: { authorization: "Bearer s3cret" } })).status, 200);
    // Health stays open so that another window can tell a Squeeze server is there.
    assert.equal((await request(squeeze.url, "/health")).status, 200);
  });

  it("raises the SDK's AuthenticationError for a wrong key", async function () {
    const client = new OpenAI({ baseURL: `${squeeze.url}/v1`, apiKey: "wrong", maxRetries: 0 });
    await assert.rejects(client.models.list(), OpenAI.AuthenticationError);
    const good = new OpenAI({ baseURL: `${squeeze.url}/v1`, apiKey: "s3cret", maxRetries: 0 });
    assert.equal((await good.models.list()).data[0].id, squeeze.modelId);
  });

  it("answers a configured host name, and no other", async function () {
    const headers = { authorization: "Bearer s3cret" };
    assert.equal((await request(squeeze.url, "/v1/models", { headers: { ...headers, host: "squeeze.lan:8000" } })).status, 200);
    assertOpenAiError(await request(squeeze.url, "/v1/models", { headers: { ...headers, host: "other.lan:8000" } }), 403);
  });

  it("lets a configured origin in with CORS headers, and no other", async function () {
    const headers = { authorization: "Bearer s3cret" };
    const allowed = await request(squeeze.url, "/v1/models", { headers: { ...headers, origin: "https://app.example" } });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers["access-control-allow-origin"], "https://app.example");
    const preflight = await request(squeeze.url, "/v1/chat/completions", {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST" },
    });
    assert.equal(preflight.status, 204);
    assertOpenAiError(await request(squeeze.url, "/v1/models", { headers: { ...headers, origin: "https://other.example" } }), 403);
  });
});

describe("a full request queue", function () {
  let squeeze: SqueezeProcess;

  before(async function () {
    squeeze = await startSqueeze(["--model", TINY, "--queue", "0", "--parallel", "1"]);
  });

  after(async function () {
    assert.equal(await squeeze.stop(), 0);
  });

  it("answers 503 with Retry-After while the model is busy, then serves again", async function () {
    const body = { model: squeeze.modelId, prompt: "Busy", max_tokens: 3000, stream: true };
    const controller = new AbortController();
    const busy = await fetch(`${squeeze.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    assert.equal(busy.status, 200);
    const refused = await postJson(squeeze.url, "/v1/completions", { ...body, stream: false, max_tokens: 2 });
    assertOpenAiError(refused, 503);
    assert.equal(refused.headers["retry-after"], "1");
    assert.equal((refused.json() as { error: { code: string } }).error.code, "queue_full");
    controller.abort();
    let ok = await postJson(squeeze.url, "/v1/completions", { ...body, stream: false, max_tokens: 2 });
    for (let i = 0; i < 50 && ok.status === 503; i++) {
      await new Promise((r) => setTimeout(r, 50));
      ok = await postJson(squeeze.url, "/v1/completions", { ...body, stream: false, max_tokens: 2 });
    }
    assert.equal(ok.status, 200, ok.body);
  });
});
