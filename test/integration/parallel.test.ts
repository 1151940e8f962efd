// Several clients at once on one llama.cpp model, through a real `squeeze serve`: parallel
// sequences in shared batches, completions on sequences of their own, and per-window caches.
import assert from "node:assert/strict";
import OpenAI from "openai";
import { postJson } from "../helpers/http";
import { BIGRAM, SCRIPTED, TINY } from "../helpers/paths";
import { startSqueeze, type SqueezeProcess } from "../helpers/squeezeProcess";

interface CompletionBody {
  choices: { text: string; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; prompt_tokens_details: { cached_tokens: number } };
}

async function complete(squeeze: SqueezeProcess, body: object, headers: Record<string, string> = {}): Promise<CompletionBody> {
  const res = await postJson(squeeze.url, "/v1/completions", { model: squeeze.modelId, ...body }, headers);
  assert.equal(res.status, 200, res.body);
  return res.json() as CompletionBody;
}

/** A streaming chat of the scripted model, which counts on for 2,000 tokens; resolves once it streams. */
async function longChat(squeeze: SqueezeProcess): Promise<{ readonly chunks: number; readonly done: boolean; stop(): Promise<void> }> {
  const controller = new AbortController();
  const res = await fetch(`${squeeze.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: squeeze.modelId, messages: [{ role: "user", content: "Count." }], max_tokens: 2000, stream: true }),
    signal: controller.signal,
  });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  const state = { chunks: 0, done: false };
  const reading = (async () => {
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) break;
      const text = new TextDecoder().decode(value);
      state.chunks += text.split("data: ").length - 1;
      if (text.includes("[DONE]")) state.done = true;
    }
  })();
  while (state.chunks < 20) await new Promise((r) => setTimeout(r, 20));
  return {
    get chunks() {
      return state.chunks;
    },
    get done() {
      return state.done;
    },
    async stop() {
      controller.abort();
      await reading;
    },
  };
}

describe("parallel sequences on llama.cpp", function () {
  this.timeout(180_000);

  // On the bigram model, whose numbers do not depend on what shares the batch (test/fixtures/bigram.ts):
  // any difference from the request alone is tokens, logits or samplers mixed up between sequences.
  describe("sixteen clients at once", function () {
    let squeeze: SqueezeProcess;
    before(async () => {
      squeeze = await startSqueeze(["--model", BIGRAM, "--parallel", "4"]);
    });
    after(async () => {
      assert.equal(await squeeze.stop(), 0);
    });

    it("serves 16 concurrent streams with different seeds, each exactly as it runs alone", async function () {
      const client = new OpenAI({ baseURL: `${squeeze.url}/v1`, apiKey: "unused", maxRetries: 0 });
      const run = async (seed: number) => {
        const stream = await client.completions.create({
          model: squeeze.modelId,
          prompt: `Client ${seed} says`,
          max_tokens: 48,
          temperature: 0.9,
          seed,
          stream: true,
        });
        let text = "";
        for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
        return text;
      };
      const seeds = Array.from({ length: 16 }, (_, i) => i + 1);
      const together = await Promise.all(seeds.map(run));
      const alone: string[] = [];
      for (const seed of seeds) alone.push(await run(seed));
      assert.deepEqual(together, alone, "no sequence's tokens leaked into another's");
      assert.ok(new Set(alone).size > 8, "different seeds gave different answers, so a mix-up would show");
    });
  });

  describe("completions beside a long chat", function () {
    let squeeze: SqueezeProcess;
    before(async () => {
      // The scripted model counts on until stopped: its chat runs for as long as max_tokens says.
      squeeze = await startSqueeze(["--model", SCRIPTED]);
    });
    after(async () => {
      assert.equal(await squeeze.stop(), 0);
    });

    it("answers a completion while a 2,000-token chat is still generating", async function () {
      const chat = await longChat(squeeze);
      const chunksAtRequest = chat.chunks;
      const fim = await complete(squeeze, { prompt: "function add(a, b) {\n  return ", suffix: "\n}\n", max_tokens: 8, temperature: 0 });
      assert.equal(fim.usage.completion_tokens, 8);
      const chunksAtAnswer = chat.chunks;
      // Completions first: the chat waits between tokens while the completion runs (a token or
      // two already on the way still arrive).
      assert.ok(chunksAtAnswer - chunksAtRequest <= 3, `the chat streamed ${chunksAtAnswer - chunksAtRequest} chunks during the completion`);
      assert.equal(chat.done, false, "the chat was still generating when the completion answered");
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(chat.chunks > chunksAtAnswer, "the chat goes on generating after the completion");
      await chat.stop();
    });

    it("answers completions whose prompts part from their cached sequence while two chats generate", async function () {
      // Each prompt shares its start with the one before and then differs: the completion's
      // sequence must drop the end of its cache while the chats hold the context busy.
      await complete(squeeze, { prompt: "let total = count(", suffix: ");\n", max_tokens: 2, temperature: 0 });
      const chats = [await longChat(squeeze), await longChat(squeeze)];
      for (const next of ["items", "rows", "cells"]) {
        const fim = await complete(squeeze, { prompt: `let total = count(${next}`, suffix: ");\n", max_tokens: 4, temperature: 0 });
        assert.equal(fim.usage.completion_tokens, 4);
        assert.ok(fim.usage.prompt_tokens_details.cached_tokens > 0, "the shared start came from the cache");
        assert.ok(chats.every((c) => !c.done), "both chats were still generating when the completion answered");
      }
      await Promise.all(chats.map((c) => c.stop()));
    });

    it("cancels a client's completion when the same client sends a newer one", async function () {
      const headers = { "x-squeeze-client": "window-a" };
      const older = postJson(squeeze.url, "/v1/completions", { model: squeeze.modelId, prompt: "Count:", suffix: "", max_tokens: 2000 }, headers);
      await new Promise((r) => setTimeout(r, 300));
      const newer = await complete(squeeze, { prompt: "Count: tick", suffix: "", max_tokens: 4 }, headers);
      assert.equal(newer.usage.completion_tokens, 4);
      const superseded = await older;
      assert.equal(superseded.status, 499, superseded.body);
      assert.match(superseded.body, /newer completion from the same client/);
      const other = await complete(squeeze, { prompt: "Count:", suffix: "", max_tokens: 4 }, { "x-squeeze-client": "window-b" });
      assert.equal(other.usage.completion_tokens, 4, "another client's completion is its own");
    });

    it("refuses a malformed client header", async function () {
      const res = await postJson(squeeze.url, "/v1/completions", { model: squeeze.modelId, prompt: "x", suffix: "" }, { "x-squeeze-client": "a b/../c" });
      assert.equal(res.status, 400, res.body);
      assert.match(res.body, /X-Squeeze-Client/);
    });
  });

  describe("two editor windows typing", function () {
    let squeeze: SqueezeProcess;
    before(async () => {
      squeeze = await startSqueeze(["--model", TINY]);
    });
    after(async () => {
      assert.equal(await squeeze.stop(), 0);
    });

    it("keeps each window's completion sequence: at least 90% of each prompt comes from its cache", async function () {
      const files = {
        a: Array.from({ length: 40 }, (_, i) => `const alpha${i} = compute(${i}, "left");`).join("\n") + "\n",
        b: Array.from({ length: 40 }, (_, i) => `def beta_${i}(x):\n    return x * ${i}`).join("\n") + "\n",
      };
      const reuse: Record<string, number[]> = { a: [], b: [] };
      for (let keystroke = 0; keystroke < 12; keystroke++) {
        for (const window of ["a", "b"] as const) {
          files[window] += "xyz"[keystroke % 3];
          const { usage } = await complete(squeeze, { prompt: files[window], suffix: "\n", max_tokens: 2, temperature: 0 }, { "x-squeeze-client": `window-${window}` });
          if (keystroke > 0) reuse[window].push(usage.prompt_tokens_details.cached_tokens / usage.prompt_tokens);
        }
      }
      for (const [window, shares] of Object.entries(reuse)) {
        const least = Math.min(...shares);
        assert.ok(least >= 0.9, `window ${window} reused at least ${(least * 100).toFixed(1)}% of each prompt (${shares.map((s) => s.toFixed(2)).join(", ")})`);
      }
    });
  });
});
