// Embeddings and reranking on the generated BERT-architecture GGUFs (llama.cpp's real encoder and
// pooling), loaded on demand beside the chat model, through real clients: the openai SDK (float and
// base64), the `ollama` client, LangChain's OpenAIEmbeddings, and llama.cpp-shaped rerank requests;
// every vector checked against node-llama-cpp's own embedding of the same text.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { OpenAIEmbeddings } from "@langchain/openai";
import { Ollama } from "ollama";
import OpenAI from "openai";
import { openLlama } from "../../src/core/backends/llamacpp/llamaRuntime";
import { putInCache } from "../helpers/hfCache";
import { postJson } from "../helpers/http";
import { MODELS, TINY } from "../helpers/paths";
import { type SqueezeProcess, startSqueeze } from "../helpers/squeezeProcess";

const BERT_EMBED = path.join(MODELS, "bert-embed.gguf");
const BERT_RERANK = path.join(MODELS, "bert-rerank.gguf");
const EMBED = "hf.co/test/Embed-GGUF:F32";
const RERANK = "hf.co/test/Rerank-GGUF:F32";

const unit = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const close = (a: number[], b: number[], what: string) => {
  assert.equal(a.length, b.length, what);
  const worst = Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
  assert.ok(worst < 1e-5, `${what}: differs by ${worst}`);
};

describe("embeddings and reranking (openai, ollama, LangChain, llama.cpp's rerank shape)", function () {
  this.timeout(180_000);
  let dir: string;
  let squeeze: SqueezeProcess;
  let client: OpenAI;
  /** node-llama-cpp's own answers, computed in this process. */
  let direct: { embed(text: string): Promise<number[]>; rank(query: string, documents: string[]): Promise<number[]>; dispose(): Promise<void> };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "squeeze-embed-"));
    const hub = path.join(dir, "hub");
    await putInCache(hub, "test/Embed-GGUF", { "bert-embed-f32.gguf": BERT_EMBED });
    await putInCache(hub, "test/Rerank-GGUF", { "bert-rerank-f32.gguf": BERT_RERANK });
    squeeze = await startSqueeze(["--model", TINY], { HF_HUB_CACHE: hub, SQUEEZE_HOME: path.join(dir, "home") });
    client = new OpenAI({ baseURL: `${squeeze.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const llama = await openLlama(false);
    const embedModel = await llama.loadModel({ modelPath: BERT_EMBED });
    const rankModel = await llama.loadModel({ modelPath: BERT_RERANK });
    const embedding = await embedModel.createEmbeddingContext();
    const ranking = await rankModel.createRankingContext();
    direct = {
      embed: async (text) => unit([...(await embedding.getEmbeddingFor(text)).vector]),
      rank: (query, documents) => ranking.rankAll(query, documents),
      dispose: async () => {
        await embedding.dispose();
        await ranking.dispose();
        await embedModel.dispose();
        await rankModel.dispose();
      },
    };
  });
  after(async () => {
    await direct?.dispose();
    await squeeze?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const texts = ["the cat sat on the mat", "return the function", "the sea and the sun"];

  it("embeds with the openai SDK: unit vectors equal to node-llama-cpp's own, in the inputs' order, with usage", async () => {
    const answer = await client.embeddings.create({ model: EMBED, input: texts, encoding_format: "float" });
    assert.equal(answer.object, "list");
    assert.deepEqual(answer.data.map((d) => d.index), [0, 1, 2]);
    for (const [i, text] of texts.entries()) close(answer.data[i]!.embedding, await direct.embed(text), text);
    assert.ok(Math.abs(Math.hypot(...answer.data[0]!.embedding) - 1) < 1e-5, "unit length");
    assert.ok(answer.usage.prompt_tokens > texts.join(" ").split(" ").length, `${answer.usage.prompt_tokens} tokens`);
    const one = await client.embeddings.create({ model: EMBED, input: texts[1]! });
    close(one.data[0]!.embedding, answer.data[1]!.embedding, "a text alone and in a batch");
  });

  it("answers base64 as the same floats, which the SDK decodes", async () => {
    const float = await client.embeddings.create({ model: EMBED, input: texts[0]!, encoding_format: "float" });
    // The SDK asks for base64 when no format is given, and decodes it.
    const decoded = await client.embeddings.create({ model: EMBED, input: texts[0]! });
    close(decoded.data[0]!.embedding, float.data[0]!.embedding, "base64 through the SDK");
    const raw = await postJson(squeeze.url, "/v1/embeddings", { model: EMBED, input: texts[0], encoding_format: "base64" });
    const bytes = Buffer.from((JSON.parse(raw.body) as { data: { embedding: string }[] }).data[0]!.embedding, "base64");
    close([...new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)], float.data[0]!.embedding, "base64 by hand");
  });

  it("gives the same vector through Ollama's /api/embed (the ollama client), /api/embeddings and LangChain", async () => {
    const openai = (await client.embeddings.create({ model: EMBED, input: texts, encoding_format: "float" })).data.map((d) => d.embedding);
    const ollama = await new Ollama({ host: squeeze.url }).embed({ model: EMBED, input: texts });
    assert.equal(ollama.model, EMBED);
    ollama.embeddings.forEach((v, i) => close(v, openai[i]!, `ollama ${i}`));
    const legacy = await postJson(squeeze.url, "/api/embeddings", { model: EMBED, prompt: texts[2] });
    close((JSON.parse(legacy.body) as { embedding: number[] }).embedding, openai[2]!, "/api/embeddings");
    const langchain = new OpenAIEmbeddings({ model: EMBED, apiKey: "unused", configuration: { baseURL: `${squeeze.url}/v1` } });
    close(await langchain.embedQuery(texts[0]!), openai[0]!, "LangChain's embedQuery");
    (await langchain.embedDocuments(texts)).forEach((v, i) => close(v, openai[i]!, `LangChain's embedDocuments ${i}`));
  });

  it("embeds token ids as the text they tokenize from, and refuses ids outside the vocabulary", async () => {
    const tokenized = await postJson(squeeze.url, "/v1/tokenize", { model: EMBED, content: texts[0] });
    const { tokens } = JSON.parse(tokenized.body) as { tokens: number[] };
    const byIds = await client.embeddings.create({ model: EMBED, input: tokens, encoding_format: "float" });
    close(byIds.data[0]!.embedding, await direct.embed(texts[0]!), "token ids");
    const bad = await postJson(squeeze.url, "/v1/embeddings", { model: EMBED, input: [5, 99_999_999] });
    assert.equal(bad.status, 400, bad.body);
  });

  it("refuses a text longer than the context on OpenAI's route, truncates it on Ollama's unless told not to", async () => {
    const long = "the cat sat on the mat ".repeat(200);
    const refused = await postJson(squeeze.url, "/v1/embeddings", { model: EMBED, input: long });
    assert.equal(refused.status, 400, refused.body);
    assert.equal((JSON.parse(refused.body) as { error: { code: string } }).error.code, "context_length_exceeded");
    const truncated = await postJson(squeeze.url, "/api/embed", { model: EMBED, input: long });
    assert.equal(truncated.status, 200, truncated.body);
    assert.ok((JSON.parse(truncated.body) as { prompt_eval_count: number }).prompt_eval_count <= 512);
    const strict = await postJson(squeeze.url, "/api/embed", { model: EMBED, input: long, truncate: false });
    assert.equal(strict.status, 400, strict.body);
    assert.equal(typeof (JSON.parse(strict.body) as { error: unknown }).error, "string", "in Ollama's error shape");
  });

  it("cuts vectors to fewer dimensions, unit length again, and refuses more than the model has", async () => {
    const full = (await client.embeddings.create({ model: EMBED, input: texts[0]!, encoding_format: "float" })).data[0]!.embedding;
    const cut = (await client.embeddings.create({ model: EMBED, input: texts[0]!, dimensions: 16, encoding_format: "float" })).data[0]!.embedding;
    close(cut, unit(full.slice(0, 16)), "16 dimensions");
    const tooMany = await postJson(squeeze.url, "/v1/embeddings", { model: EMBED, input: "x", dimensions: 65 });
    assert.equal(tooMany.status, 400);
    assert.equal((JSON.parse(tooMany.body) as { error: { param: string } }).error.param, "dimensions");
  });

  it("reranks in llama.cpp's shape (results, also as data): best first, top_n, documents returned, scores as node-llama-cpp's", async () => {
    const documents = ["the cat sat on the mat", "code and test", "the dog", "sea sun"];
    const res = await postJson(squeeze.url, "/v1/rerank", { model: RERANK, query: "the cat", documents, top_n: 3, return_documents: true });
    assert.equal(res.status, 200, res.body);
    const answer = JSON.parse(res.body) as { results: { index: number; relevance_score: number; document: { text: string } }[]; data: unknown[]; usage: { prompt_tokens: number } };
    const expected = await direct.rank("the cat", documents);
    assert.equal(answer.results.length, 3);
    assert.deepEqual(answer.data, answer.results);
    for (const r of answer.results) {
      assert.ok(Math.abs(r.relevance_score - expected[r.index]!) < 1e-5, `document ${r.index}`);
      assert.equal(r.document.text, documents[r.index]);
    }
    assert.deepEqual(answer.results.map((r) => r.relevance_score), [...expected].sort((a, b) => b - a).slice(0, 3));
    assert.ok(answer.usage.prompt_tokens > 0);
    const lemonade = await postJson(squeeze.url, "/api/v1/rerank", { model: RERANK, query: "the cat", documents: documents.map((text) => ({ text })) });
    assert.equal((JSON.parse(lemonade.body) as { results: unknown[] }).results.length, 4, "Lemonade's prefix, documents as {text}");
  });

  it("says what a model computes when it is asked for something else", async () => {
    for (const [route, body, code] of [
      ["/v1/embeddings", { model: squeeze.modelId, input: "x" }, "model_not_supported"],
      ["/v1/rerank", { model: EMBED, query: "x", documents: ["y"] }, "model_not_supported"],
      ["/v1/embeddings", { model: RERANK, input: "x" }, "model_not_supported"],
      ["/v1/chat/completions", { model: EMBED, messages: [{ role: "user", content: "Hi" }] }, "invalid_request"],
    ] as const) {
      const res = await postJson(squeeze.url, route, body);
      assert.equal(res.status, 400, `${route}: ${res.body}`);
      assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, code, res.body);
    }
    const show = await postJson(squeeze.url, "/api/show", { model: EMBED });
    assert.deepEqual((JSON.parse(show.body) as { capabilities: string[] }).capabilities, ["embedding"], "Ollama's word for it");
    const stillChats = await postJson(squeeze.url, "/v1/chat/completions", { model: squeeze.modelId, messages: [{ role: "user", content: "Hi" }], max_tokens: 2 });
    assert.equal(stillChats.status, 200, "the chat model serves beside them");
  });
});

describe("embedding and reranking models loaded at start (serve --embedding-model, --rerank-model)", function () {
  this.timeout(120_000);
  let squeeze: SqueezeProcess;
  before(async () => {
    squeeze = await startSqueeze(["--model", TINY, "--embedding-model", BERT_EMBED, "--rerank-model", BERT_RERANK]);
  });
  after(() => squeeze?.stop());

  it("loads them beside the chat model, each in its role, as /v1/models and /health say", async () => {
    const models = (await (await fetch(`${squeeze.url}/v1/models`)).json()) as { data: { id: string; squeeze: { roles: string[] } }[] };
    const roles = Object.fromEntries(models.data.map((m) => [m.id, m.squeeze.roles]));
    assert.deepEqual(Object.values(roles).sort(), [["chat", "completion"], ["embedding"], ["rerank"]].sort(), JSON.stringify(roles));
    const health = (await (await fetch(`${squeeze.url}/health`)).json()) as { roles: Record<string, string | null> };
    assert.equal(roles[health.roles.embedding!]?.[0], "embedding");
    assert.equal(roles[health.roles.rerank!]?.[0], "rerank");
    const embedded = await postJson(squeeze.url, "/v1/embeddings", { model: health.roles.embedding, input: "the cat" });
    assert.equal(embedded.status, 200, embedded.body);
    const ranked = await postJson(squeeze.url, "/v1/rerank", { model: health.roles.rerank, query: "the cat", documents: ["the cat sat", "sea"] });
    assert.equal(ranked.status, 200, ranked.body);
  });
});
