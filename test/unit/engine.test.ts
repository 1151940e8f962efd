// The engine host and its worker thread, in process: queueing, cancellation, crashes, model swaps.
import assert from "node:assert/strict";
import type { Worker } from "node:worker_threads";
import { EngineHost } from "../../src/core/engine/engineHost";
import { EngineError } from "../../src/core/protocol/errors";
import type { GenerationEvent, LoadSpec } from "../../src/core/protocol/types";
import { TINY as TINY_CONFIG } from "../fixtures/models";
import { buildTokenizer } from "../fixtures/tokenizer";
import { TINY_MODELS } from "../helpers/backends";
import { TINY, TINY_ONNX, WORKER } from "../helpers/paths";

const long = { maxTokens: 2000, temperature: 0 };

async function collect(stream: AsyncIterable<GenerationEvent>): Promise<GenerationEvent[]> {
  const events: GenerationEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<EngineError> {
  const err = await promise.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof EngineError, String(err));
  assert.equal(err.code, code, err.message);
  return err;
}

for (const tiny of TINY_MODELS) {
  describe(`engine host and worker (${tiny.backend})`, function () {
    // One generation at a time, as on every backend: the queue tests below rely on it.
    const spec: LoadSpec = { id: "tiny", path: tiny.model, backend: tiny.backend, gpu: false, parallel: 1 };

    let workers: Worker[];
    let engine: EngineHost;

    beforeEach(async function () {
      workers = [];
      engine = new EngineHost({ workerPath: WORKER, maxQueue: 1, onWorkerStart: (w) => workers.push(w) });
      await engine.load(spec);
    });

    afterEach(async function () {
      await engine.dispose();
    });

    it("streams text, then one done event with usage", async function () {
      const events = await collect(engine.complete("Hello", { maxTokens: 9, temperature: 0 }));
      const done = events.at(-1);
      assert.equal(done?.type, "done");
      assert.ok(events.slice(0, -1).every((e) => e.type === "text"));
      assert.deepEqual(done?.type === "done" && done.usage.completionTokens, 9);
      const counted = events.reduce((n, e) => n + (e.type === "text" ? e.tokens : 0), 0);
      assert.equal(counted, 9);
      assert.equal(engine.stats().generatedTokens, 9);
    });

    it("tokenizes text as text, and a chat with its template's special tokens", async function () {
      const { specialIds, tokens } = buildTokenizer(TINY_CONFIG.shape.vocab);
      const spelled = (ids: number[]) => ids.map((id) => tokens[id]).join("").replaceAll("Ċ", "\n");
      const text = await engine.tokenize({ text: "<|im_start|>user\nhello" });
      assert.ok(!text.includes(specialIds.imStart), `a marker in text is no special token: ${text}`);
      assert.equal(spelled(text), "<|im_start|>user\nhello");
      const chat = await engine.tokenize({ messages: [{ role: "user", content: "<|im_start|>system" }] });
      assert.equal(chat.filter((id) => id === specialIds.imStart).length, 2, `the template's turns only: ${chat}`);
      assert.equal(spelled(chat), "<|im_start|>user\n<|im_start|>system<|im_end|>\n<|im_start|>assistant\n");
    });

    /** Tokens the worker generated for requests before this one: the next request starts only once they are done. */
    const settledTokens = async () => {
      const events = await collect(engine.complete("Again", { maxTokens: 3, temperature: 0 }));
      assert.equal(events.at(-1)?.type, "done");
      return engine.stats().generatedTokens - 3;
    };

    it("stops generating at a cancellation, and the caller gets nothing more", async function () {
      const controller = new AbortController();
      let afterAbort = 0;
      const run = (async () => {
        for await (const _ of engine.complete("Tell me a story", long, controller.signal)) {
          if (controller.signal.aborted) afterAbort++;
          else if (engine.stats().generatedTokens >= 5) controller.abort();
        }
      })();
      await rejectsWith(run, "cancelled");
      assert.equal(afterAbort, 0, "no event reaches the caller after its abort");
      assert.equal(engine.stats().cancelled, 1);
      // Tokens the worker had already sent when the cancel reached it are all it made of the 2000 asked for.
      const generated = await settledTokens();
      assert.ok(generated < 100, `${generated} tokens generated for a request cancelled after 5`);
    });

    it("ends the answer with what it has when its time budget is spent", async function () {
      const events = await collect(engine.complete("Tell me a story", { ...long, maxPredictMs: 30 }));
      const done = events.at(-1);
      assert.ok(done?.type === "done");
      assert.equal(done.finishReason, "length");
      const { completionTokens } = done.usage;
      assert.ok(completionTokens >= 1 && completionTokens < long.maxTokens, `${completionTokens} of ${long.maxTokens} tokens in 30 ms`);
      assert.equal(events.reduce((n, e) => n + (e.type === "text" ? e.tokens : 0), 0), completionTokens);
      assert.equal(engine.stats().cancelled, 0, "a spent budget is not a cancellation");
    });

    it("cancels when the reader stops reading", async function () {
      for await (const event of engine.complete("Tell me a story", long)) {
        if (event.type === "text") break;
      }
      assert.equal(engine.stats().cancelled, 1);
      const generated = await settledTokens();
      assert.ok(generated < 100, `${generated} tokens generated for a reader that left after the first`);
    });

    it("fails the running request when the worker dies, and the next one gets a new worker", async function () {
      const run = (async () => {
        let killed = false;
        for await (const _ of engine.complete("Tell me a story", long)) {
          // A message outside the protocol is a fatal error in the worker: it winds down and exits.
          if (!killed) workers[0].postMessage({ type: "not-a-message" });
          killed = true;
        }
      })();
      const err = await rejectsWith(run, "worker_crashed");
      assert.match(err.message, /unknown message from the engine host/);
      assert.equal(await new Promise((resolve) => workers[0].once("exit", resolve)), 1);
      const events = await collect(engine.complete("Hello", { maxTokens: 4, temperature: 0 }));
      assert.equal(events.at(-1)?.type, "done");
      assert.equal(engine.stats().workerStarts, 2);
      assert.equal(engine.model?.id, "tiny", "the model was loaded again into the new worker");
    });

    it("cancels a request whose caller left while a new worker was starting", async function () {
      workers[0].postMessage({ type: "not-a-message" }); // the worker fails and exits
      await new Promise((resolve) => workers[0].once("exit", resolve));
      const controller = new AbortController();
      const run = collect(engine.complete("Tell me a story", long, controller.signal));
      controller.abort(); // while the new worker loads the model
      await rejectsWith(run, "cancelled");
      const settled = engine.stats().generatedTokens;
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(engine.stats().generatedTokens - settled <= 1, "the generation was stopped, not left running");
      assert.equal((await collect(engine.complete("Hi", { maxTokens: 2 }))).at(-1)?.type, "done");
    });

    it("queues requests in a bounded queue and refuses more at once", async function () {
      const first = collect(engine.complete("One", { maxTokens: 40, temperature: 0 }));
      const second = collect(engine.complete("Two", { maxTokens: 3, temperature: 0 }));
      assert.throws(() => engine.complete("Three", { maxTokens: 3 }), (e: unknown) => e instanceof EngineError && e.code === "queue_full");
      assert.equal(engine.stats().queued, 1);
      assert.equal((await first).at(-1)?.type, "done");
      assert.equal((await second).at(-1)?.type, "done");
      assert.equal(engine.stats().completed, 2);
    });

    it("bounds tokenizing like the queue, without waiting for a generation slot", async function () {
      const generating = collect(engine.complete("One", { maxTokens: 40, temperature: 0 }));
      // maxQueue is 1: one tokenize runs beside the generation, a second at the same time is refused.
      const text = "hello world, ".repeat(20_000);
      const first = engine.tokenize({ text });
      await rejectsWith(engine.tokenize({ text: "Hi" }), "queue_full");
      assert.ok((await first).length > 10_000);
      assert.ok((await engine.tokenize({ text: "Hi" })).length > 0, "the place is free again");
      assert.equal((await generating).at(-1)?.type, "done");
    });

    it("does not let a slow reader hold up the queue", async function () {
      const slow = engine.complete("One", { maxTokens: 30, temperature: 0 })[Symbol.asyncIterator]();
      assert.equal((await slow.next()).value?.type, "text");
      // The slow reader reads nothing more; the next request still runs once the worker is done.
      const other = await collect(engine.complete("Two", { maxTokens: 3, temperature: 0 }));
      assert.equal(other.at(-1)?.type, "done");
      let rest = 0;
      for (let step = await slow.next(); !step.done; step = await slow.next()) rest += step.value.type === "text" ? step.value.tokens : 0;
      assert.ok(rest >= 28, `the slow reader still gets all of its text (${rest} more tokens)`);
    });

    it("swaps models in the same worker", async function () {
      const info = await engine.load({ ...spec, id: "tiny-again", contextSize: 512 });
      assert.equal(info.id, "tiny-again");
      assert.equal(info.contextSize, 512);
      assert.equal((await collect(engine.chat([{ role: "user", content: "hi" }], { maxTokens: 3 }))).at(-1)?.type, "done");
      assert.equal(engine.stats().workerStarts, 1);
    });

    it("refuses a prompt longer than the context, and an empty one", async function () {
      await engine.load({ ...spec, contextSize: 256 });
      await rejectsWith(collect(engine.complete("word ".repeat(2000), { maxTokens: 2 })), "context_length_exceeded");
      await rejectsWith(collect(engine.complete("", { maxTokens: 2 })), "invalid_request");
    });

    it("keeps the whole of a prompt that nearly fills the context", async function () {
      await engine.load({ ...spec, contextSize: 256 });
      let prompt = "";
      while ((await engine.tokenize({ text: prompt })).length < 245) prompt += "the cat sat on the mat. ";
      const usage = async () => {
        const done = (await collect(engine.complete(prompt, { maxTokens: 2, temperature: 0 }))).at(-1);
        assert.ok(done?.type === "done");
        return done.usage;
      };
      const first = await usage();
      assert.ok(first.promptTokens >= 245 && first.promptTokens < 256);
      // Had the start been cut off to make room, the cache would not match the prompt from token 0.
      assert.equal((await usage()).cachedTokens, first.promptTokens - 1);
    });
  });
}

describe("engine with both backends", function () {
  it("gives the same greedy text from the same fp32 weights on llama.cpp and on onnxruntime", async function () {
    const texts: Record<string, string[]> = {};
    for (const tiny of TINY_MODELS) {
      const engine = new EngineHost({ workerPath: WORKER });
      try {
        await engine.load({ id: tiny.backend, path: tiny.model, backend: tiny.backend, gpu: false });
        const text = async (events: AsyncIterable<GenerationEvent>) => {
          const all = await collect(events);
          const done = all.at(-1);
          assert.ok(done?.type === "done" && done.usage.completionTokens === 32);
          return all.map((e) => (e.type === "text" ? e.text : "")).join("");
        };
        const greedy = { maxTokens: 32, temperature: 0 };
        texts[tiny.backend] = [
          await text(engine.complete("The quick brown fox 🦊 says", greedy)),
          await text(engine.chat([{ role: "user", content: "Write a haiku about the sea." }], greedy)),
          await text(engine.infill("def add(a, b):\n    ", "\n    return c\n", greedy)),
        ];
      } finally {
        await engine.dispose();
      }
    }
    assert.deepEqual(texts.onnx, texts["llama.cpp"]);
  });

  it("swaps a GGUF model for an ONNX one and back in the same worker", async function () {
    let starts = 0;
    const engine = new EngineHost({ workerPath: WORKER, onWorkerStart: () => starts++ });
    try {
      const run = async () => (await collect(engine.complete("Hello", { maxTokens: 4, temperature: 0 }))).at(-1);
      for (const [backend, path] of [["llama.cpp", TINY], ["onnx", TINY_ONNX], ["llama.cpp", TINY]] as const) {
        const info = await engine.load({ id: backend, path, backend, gpu: false });
        assert.equal(info.backend, backend);
        const done = await run();
        assert.ok(done?.type === "done" && done.usage.completionTokens === 4);
      }
      assert.equal(starts, 1, "one worker served all three models");
    } finally {
      await engine.dispose();
    }
  });
});
