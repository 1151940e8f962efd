// Property-based fuzzing of every route of a real `squeeze serve`: bodies (valid requests with
// fields replaced by anything JSON can hold, raw bytes, other content types), headers and
// queries. Whatever comes in, the server answers within a bound, never with a 5xx outside its
// API's error shape, and still serves a normal request afterwards.
// FUZZ_RUNS (default 5000; 50000 under `npm run fuzz`) and FUZZ_SEED set the run.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { putInCache } from "../helpers/hfCache";
import { LocalHub } from "../helpers/localHub";
import { postJson, type RawResponse, request } from "../helpers/http";
import { TINY } from "../helpers/paths";
import { type SqueezeProcess, startSqueeze } from "../helpers/squeezeProcess";

const RUNS = Number(process.env.FUZZ_RUNS ?? (process.env.npm_lifecycle_event === "fuzz" ? 50_000 : 5000));
const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
/** Longer than any answer the tiny model gives (a whole context's generation takes about a second). */
const ANSWER_BOUND_MS = 30_000;

const MODEL = "hf.co/test/Tiny-GGUF:Q8_0";
const OTHER = "hf.co/test/Other-GGUF:Q8_0";

/** Every route, with a request it would accept, to be taken apart. */
const ROUTES: Array<{ method: string; path: string; body?: Record<string, unknown> }> = [
  { method: "POST", path: "/v1/chat/completions", body: { model: MODEL, messages: [{ role: "user", content: "Hi" }], max_tokens: 4 } },
  { method: "POST", path: "/v1/completions", body: { model: MODEL, prompt: "Once", max_tokens: 4 } },
  { method: "POST", path: "/v1/completions", body: { model: MODEL, prompt: "def f(", suffix: "\n", max_tokens: 4 } },
  { method: "POST", path: "/v1/fim/completions", body: { model: MODEL, prompt: "def f(", suffix: "\n", max_tokens: 4 } },
  { method: "POST", path: "/v1/tokenize", body: { model: MODEL, content: "Hello" } },
  { method: "POST", path: "/v1/messages", body: { model: MODEL, max_tokens: 4, system: "Be brief.", messages: [{ role: "user", content: [{ type: "text", text: "Hi" }] }] } },
  { method: "POST", path: "/v1/messages", body: { model: MODEL, max_tokens: 4, stream: true, messages: [{ role: "user", content: "Hi" }], tools: [{ name: "f", input_schema: { type: "object" } }] } },
  { method: "POST", path: "/v1/messages/count_tokens", body: { model: MODEL, messages: [{ role: "user", content: "Hi" }] } },
  { method: "POST", path: "/v1/responses", body: { model: MODEL, input: [{ role: "user", content: [{ type: "input_text", text: "Hi" }] }, { type: "function_call_output", call_id: "c1", output: "x" }], instructions: "Be brief.", max_output_tokens: 4 } },
  { method: "POST", path: "/v1/responses", body: { model: MODEL, input: "Hi", stream: true, max_output_tokens: 4, tools: [{ type: "function", name: "f", parameters: { type: "object" } }] } },
  { method: "GET", path: "/v1/responses/resp_0" },
  { method: "POST", path: "/v1/embeddings", body: { model: MODEL, input: ["a", "b"], encoding_format: "base64", dimensions: 8 } },
  { method: "POST", path: "/v1/rerank", body: { model: MODEL, query: "q", documents: ["a", { text: "b" }], top_n: 1, return_documents: true } },
  { method: "POST", path: "/api/embed", body: { model: MODEL, input: "a", truncate: false } },
  { method: "POST", path: "/infill", body: { input_prefix: "def f(", input_suffix: "\n", input_extra: [{ filename: "a.py", text: "x = 1\n", time: 1 }], prompt: "", n_predict: 4 } },
  { method: "GET", path: "/v1/models" },
  { method: "GET", path: `/v1/models/${MODEL}` },
  { method: "GET", path: "/v1/health" },
  { method: "GET", path: "/v1/stats" },
  { method: "POST", path: "/api/v1/chat/completions", body: { model: MODEL, messages: [{ role: "user", content: "Hi" }], max_tokens: 4, stream: true } },
  { method: "GET", path: "/api/v1/health" },
  { method: "GET", path: "/api/v1/stats" },
  { method: "GET", path: "/api/v1/system-info" },
  { method: "POST", path: "/api/v1/load", body: { model_name: MODEL, ctx_size: 512 } },
  { method: "POST", path: "/api/v1/pin", body: { model_name: MODEL, pinned: true } },
  { method: "POST", path: "/api/v1/unload", body: { model_name: OTHER } },
  { method: "POST", path: "/api/v1/pull", body: { model_name: OTHER, stream: false } },
  { method: "POST", path: "/api/v1/delete", body: { model_name: OTHER } },
  { method: "GET", path: "/api/v1/models" },
  { method: "GET", path: `/api/v1/models/${MODEL}` },
  { method: "GET", path: "/api/version" },
  { method: "GET", path: "/api/tags" },
  { method: "GET", path: "/api/ps" },
  { method: "POST", path: "/api/show", body: { model: MODEL } },
  { method: "POST", path: "/api/chat", body: { model: MODEL, messages: [{ role: "user", content: "Hi" }], options: { num_predict: 4 } } },
  { method: "POST", path: "/api/generate", body: { model: MODEL, prompt: "Once", options: { num_predict: 4 }, keep_alive: "5m" } },
  { method: "GET", path: "/health" },
];

/** Field names any route reads, so replaced and added fields reach the checks behind the first. */
const FIELDS = [
  "model", "messages", "prompt", "suffix", "max_tokens", "max_completion_tokens", "stream", "stream_options", "temperature",
  "top_p", "top_k", "seed", "stop", "n", "tools", "tool_choice", "response_format", "presence_penalty", "frequency_penalty",
  "repeat_penalty", "logprobs", "input_prefix", "input_suffix", "n_predict", "content", "model_name", "ctx_size", "pinned", "options", "keep_alive", "format", "raw",
  "system", "encoding_format", "dimensions", "query", "documents", "top_n", "truncate", "input", "instructions", "previous_response_id", "max_output_tokens", "text", "store", "stop_sequences", "input_schema", "tool_use_id", "template", "images", "think", "input_extra", "t_max_predict_ms", "user",
];

/** Values that are nearly right as often as plainly wrong. */
const value: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(MODEL, OTHER, "", " ", "../../etc/passwd", "hf.co/../x:Q8_0", "C:\\x.gguf", -1, 0, 1, 2 ** 31, 1e308, -1e308, true, null),
  fc.constantFrom("user", "system", "assistant", "tool", "developer", "text", "function", "json_schema", "json_object", "auto", "required", "none"),
  fc.array(fc.record({ role: fc.constantFrom("user", "system", "assistant", "tool", "x"), content: fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 2 })) }, { requiredKeys: [] }), { maxLength: 4 }),
  fc.record({ type: fc.constantFrom("json_schema", "json_object", "text"), json_schema: fc.record({ name: fc.string(), schema: fc.jsonValue({ maxDepth: 4 }) }, { requiredKeys: [] }) }, { requiredKeys: [] }),
  fc.array(fc.record({ type: fc.constant("function"), function: fc.record({ name: fc.string(), parameters: fc.jsonValue({ maxDepth: 3 }) }, { requiredKeys: [] }) }, { requiredKeys: [] }), { maxLength: 3 }),
);

type Case = { method: string; path: string; headers: Record<string, string>; body?: string | Buffer };

const headerSets = fc.record(
  {
    "content-type": fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1", ""),
    host: fc.constantFrom("evil.example", "localhost", "127.0.0.1", "", "[::1]", "localhost:1"),
    origin: fc.constantFrom("https://evil.example", "null", "vscode-webview://x", "http://localhost", ""),
    authorization: fc.constantFrom("Bearer ", "Bearer x", "Basic x", ""),
    "x-squeeze-client": fc.oneof(fc.string({ maxLength: 80 }), fc.constant("window-1")),
    "content-encoding": fc.constantFrom("gzip", "identity", "br"),
    "transfer-encoding": fc.constant("chunked"),
  },
  { requiredKeys: [] },
);

const query = fc.oneof(fc.constant(""), fc.dictionary(fc.constantFrom("model", "stream", "limit", "x", "%00"), fc.string({ maxLength: 20 }), { maxKeys: 3 }).map((q) => `?${new URLSearchParams(q as Record<string, string>)}`));

/** A route's own request with fields replaced, removed or added. */
const mutatedBody = (template: Record<string, unknown>) =>
  fc
    .tuple(fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 3 }), fc.subarray(Object.keys(template)))
    .map(([changes, dropped]) => JSON.stringify({ ...Object.fromEntries(Object.entries(template).filter(([k]) => !dropped.includes(k))), ...changes }));

const body = (template: Record<string, unknown> | undefined): fc.Arbitrary<string | Buffer | undefined> =>
  fc.oneof(
    { weight: 6, arbitrary: template ? mutatedBody(template) : fc.constant(undefined) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );

const cases: fc.Arbitrary<Case> = fc
  .tuple(fc.constantFrom(...ROUTES), fc.constantFrom("GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "HEAD"), fc.boolean(), headerSets, query, fc.boolean())
  .chain(([route, otherMethod, keepMethod, headers, q, wellFormedHeaders]) =>
    body(route.body).map((b): Case => {
      const sent: Record<string, string> = { ...headers };
      // Most cases keep the headers a real client sends, so the body reaches the route.
      if (wellFormedHeaders) {
        sent.host = "127.0.0.1";
        sent["content-type"] = "application/json";
        delete sent.origin;
        delete sent.authorization;
        delete sent["content-encoding"];
      }
      for (const [k, v] of Object.entries(sent)) if (v === "") delete sent[k];
      if (b === undefined || sent["transfer-encoding"] === undefined) delete sent["transfer-encoding"];
      return { method: keepMethod ? route.method : otherMethod, path: `${route.path}${q}`, headers: sent, body: b };
    }),
  );

/** Fixed cases found by hand: each once, before the generated ones. */
function fixedCases(): Case[] {
  const json = { "content-type": "application/json" };
  const deepSchema = `${'{"type":"object","properties":{"a":'.repeat(6000)}{"type":"string"}${"}}".repeat(6000)}`;
  const deepMessages = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
  return [
    { method: "POST", path: "/v1/chat/completions", headers: json, body: `{"model":"${MODEL}","messages":[{"role":"user","content":"hi"}],"max_tokens":4,"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":${deepSchema}}}}` },
    { method: "POST", path: "/v1/chat/completions", headers: json, body: `{"model":"${MODEL}","messages":${deepMessages}}` },
    { method: "POST", path: "/api/chat", headers: json, body: `{"model":"${MODEL}","messages":[{"role":"user","content":"hi"}],"format":${deepSchema}}` },
    { method: "POST", path: "/v1/completions", headers: json, body: Buffer.alloc(5 * 1024 * 1024, 0x20) },
    { method: "POST", path: "/v1/completions", headers: json, body: `{"model":"${MODEL}","prompt":"${"word ".repeat(100_000)}","max_tokens":1}` },
    { method: "POST", path: "/v1/completions", headers: json, body: `{"model":"${MODEL}","prompt":[1,2,3],"max_tokens":1e999}` },
    { method: "POST", path: "/v1/completions", headers: json, body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) },
    { method: "POST", path: "/v1/chat/completions", headers: json, body: `{"model":"${MODEL}","messages":[{"role":"user","content":"\\ud800"}],"max_tokens":2,"stop":["\\udfff"]}` },
    { method: "POST", path: "/api/v1/pull", headers: json, body: `{"model_name":"hf.co/${"a/".repeat(2000)}x:Q8_0"}` },
    { method: "POST", path: "/api/v1/load", headers: json, body: `{"model_name":"${MODEL}","ctx_size":1e300}` },
    { method: "GET", path: `/v1/models/${"%2e%2e%2f".repeat(50)}etc%2fpasswd`, headers: {} },
  ];
}

function isOpenAiError(res: RawResponse): boolean {
  try {
    const { error } = res.json() as { error?: { message?: unknown; type?: unknown } };
    return typeof error?.message === "string" && error.message.length > 0 && typeof error.type === "string";
  } catch {
    return false;
  }
}

function isAnthropicError(res: RawResponse): boolean {
  try {
    const body = res.json() as { type?: unknown; error?: { message?: unknown; type?: unknown } };
    return body.type === "error" && typeof body.error?.message === "string" && typeof body.error.type === "string";
  } catch {
    return false;
  }
}

function isOllamaError(res: RawResponse): boolean {
  try {
    return typeof (res.json() as { error?: unknown }).error === "string";
  } catch {
    return false;
  }
}

describe("fuzzing every route of squeeze serve", function () {
  this.timeout(1_800_000);
  let dir: string;
  let hub: string;
  let squeeze: SqueezeProcess;
  /** Hugging Face, local: pulls of Other-GGUF download it, pulls of anything else are told it does not exist. */
  const remote = new LocalHub();
  /** How the answers were spread, printed after the run: a fuzzer stopped at the door finds nothing. */
  const statuses = new Map<number, number>();

  /** The two models in the cache, as they were before the run (which may have deleted them). */
  const stock = async () => {
    for (const repo of ["Tiny-GGUF", "Other-GGUF"]) rmSync(path.join(hub, `models--test--${repo}`), { recursive: true, force: true });
    await putInCache(hub, "test/Tiny-GGUF", { "tiny-q8_0.gguf": TINY });
    await putInCache(hub, "test/Other-GGUF", { "other-q8_0.gguf": TINY });
  };

  before(async function () {
    dir = mkdtempSync(path.join(os.tmpdir(), "squeeze-fuzz-"));
    hub = path.join(dir, "hub");
    await stock();
    remote.addRepo({ id: "test/Other-GGUF", files: [{ path: "other-q8_0.gguf", file: TINY }] });
    squeeze = await startSqueeze(["--model", MODEL], { HF_HUB_CACHE: hub, SQUEEZE_HOME: path.join(dir, "home"), HF_ENDPOINT: await remote.start() });
  });

  after(async function () {
    await squeeze?.stop();
    await remote.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function send(c: Case): Promise<void> {
    const signal = AbortSignal.timeout(ANSWER_BOUND_MS);
    const what = `${c.method} ${c.path} ${JSON.stringify(c.headers)} ${String(c.body).slice(0, 300)}`;

    // Framed as HTTP requires (a GET's body too), on a connection of its own: each case stands alone.
    // As the user, so that the management routes are reached too; a case's own Authorization wins.
    const framing: Record<string, string> = c.body === undefined || c.headers["transfer-encoding"] ? {} : { "content-length": String(Buffer.byteLength(c.body)) };
    const headers = { ...squeeze.user, ...c.headers, ...framing, connection: "close" };
    const res = await request(squeeze.url, c.path, { method: c.method, headers, body: c.body, signal }).catch((err: Error) => {
      throw new Error(`no answer within ${ANSWER_BOUND_MS} ms (${err.message}): ${what}\nserver's last output: ${squeeze.output().slice(-2000)}`);
    });
    assert.ok(res.status >= 200 && res.status < 600, `status ${res.status}: ${what}`);
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    // Every refusal and failure in the shape of the API the path belongs to.
    if (res.status >= 400 && c.method !== "HEAD") {
      const path = c.path.split("?")[0]!.replace(/\/+$/, "");
      const api = /^\/(api\/)?v1\/messages(\/|$)/.test(path) ? "Anthropic" : path.startsWith("/api/") && !/^\/api\/v1(\/|$)/.test(path) ? "Ollama" : "OpenAI";
      const shaped = { Anthropic: isAnthropicError, Ollama: isOllamaError, OpenAI: isOpenAiError }[api](res);
      assert.ok(shaped, `${res.status} outside ${api}'s error shape: ${res.body.slice(0, 300)}: ${what}`);
    }
    assert.equal(squeeze.child.exitCode, null, `the server exited after: ${what}`);
  }

  it("ignores fields it does not know on every route: the same answer with them as without", async function () {
    const changesState = /\/api\/v1\/(pull|delete|load|unload|pin)$/;
    for (const route of ROUTES.filter((r) => r.body && !changesState.test(r.path))) {
      const send = (body: object) => request(squeeze.url, route.path, { method: route.method, headers: { ...squeeze.user, "content-type": "application/json" }, body: JSON.stringify(body) });
      const plain = await send(route.body!);
      const extra = await send({ ...route.body!, some_future_field: { nested: [1, "two"] }, vendor_option: true });
      assert.equal(extra.status, plain.status, `${route.path}: ${plain.status} without the unknown fields, ${extra.status} with them: ${extra.body.slice(0, 300)}`);
    }
  });

  it("answers the fixed hostile cases", async function () {
    for (const c of fixedCases()) await send(c);
  });

  it(`answers ${RUNS} generated requests (seed ${SEED}) within the bound and in its error shapes`, async function () {
    await fc.assert(fc.asyncProperty(cases, send), { numRuns: RUNS, seed: SEED, endOnFailure: true });
    console.log(`      answers by status: ${[...statuses].sort((a, b) => a[0] - b[0]).map(([status, n]) => `${status}: ${n}`).join(", ")}`);
    assert.ok((statuses.get(200) ?? 0) > RUNS / 20, "enough requests got through to be answered");
  });

  it("serves a normal request afterwards", async function () {
    await stock();
    const res = await postJson(squeeze.url, "/v1/chat/completions", { model: MODEL, messages: [{ role: "user", content: "Hello" }], max_tokens: 4 });
    assert.equal(res.status, 200, res.body);
    const health = (await request(squeeze.url, "/health")).json() as { status: string };
    assert.equal(health.status, "ok");
  });
});
