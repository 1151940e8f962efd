// The scripted fixture model through the real engine (GGUF validation, worker, llama.cpp): every
// chat gets the known answer, then the loop without end, whatever the conversation and temperature.
import assert from "node:assert/strict";
import { EngineHost } from "../../src/core/engine/engineHost";
import type { ChatMessage, GenerationEvent, GenerationOptions } from "../../src/core/protocol/types";
import { SCRIPT, scriptedText } from "../fixtures/scripted";
import { SCRIPTED, WORKER } from "../helpers/paths";

/** The whole answer, then 64 tokens of the loop. */
const TOKENS = SCRIPT.length + 64;

type Done = Extract<GenerationEvent, { type: "done" }>;

async function chatText(engine: EngineHost, messages: ChatMessage[], options: GenerationOptions): Promise<{ text: string; done: Done }> {
  let text = "";
  let done: Done | undefined;
  for await (const event of engine.chat(messages, options)) {
    if (event.type === "text") text += event.text;
    else done = event;
  }
  assert.ok(done, "the stream ends with a done event");
  return { text, done };
}

describe("scripted model (llama.cpp)", function () {
  let engine: EngineHost;

  before(async function () {
    engine = new EngineHost({ workerPath: WORKER });
    await engine.load({ id: "scripted", path: SCRIPTED, backend: "llama.cpp", gpu: false });
  });

  after(async function () {
    await engine.dispose();
  });

  it("sees every chat prompt end with the newline token its script starts from", async function () {
    const newline = await engine.tokenize({ text: "\n" });
    assert.equal(newline.length, 1);
    assert.equal((await engine.tokenize({ messages: [{ role: "user", content: "Hi" }] })).at(-1), newline[0]);
  });

  const oneLine: ChatMessage[] = [{ role: "user", content: "What is 2 + 2?" }];
  const multiTurn: ChatMessage[] = [
    { role: "system", content: "You are terse." },
    { role: "user", content: "Write a sort function in Rust." },
    { role: "assistant", content: "fn sort(v: &mut Vec<i32>) { v.sort(); }" },
    { role: "user", content: "Now in <b>Python</b>, please\n\n" },
  ];
  for (const [name, messages, temperature] of [
    ["a one-line chat", oneLine, 0],
    ["a one-line chat", oneLine, 1],
    ["a multi-turn chat with a system prompt", multiTurn, 1],
  ] as const) {
    it(`answers ${name} with the script, then loops until max_tokens (temperature ${temperature})`, async function () {
      const { text, done } = await chatText(engine, messages, { maxTokens: TOKENS, temperature });
      assert.equal(text, scriptedText(TOKENS));
      assert.equal(done.finishReason, "length");
      assert.equal(done.usage.completionTokens, TOKENS);
    });
  }
});
