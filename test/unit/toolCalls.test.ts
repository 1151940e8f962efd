// Finding tool calls in a model's text stream, whatever the chunking.
import assert from "node:assert/strict";
import type { GenerationEvent } from "../../src/core/protocol/types";
import { withToolCalls, type ChoiceEvent } from "../../src/core/server/toolCalls";

const tools = new Set(["get_weather"]);

async function run(chunks: string[]): Promise<{ text: string; calls: { name: string; arguments: string }[] }> {
  async function* events(): AsyncIterable<GenerationEvent> {
    for (const text of chunks) yield { type: "text", text, tokens: 1 };
    yield { type: "done", finishReason: "stop", usage: { promptTokens: 1, cachedTokens: 0, completionTokens: chunks.length } };
  }
  const out: ChoiceEvent[] = [];
  for await (const e of withToolCalls(events(), tools)) out.push(e);
  assert.equal(out.at(-1)?.type, "done");
  return {
    text: out.map((e) => (e.type === "text" ? e.text : "")).join(""),
    calls: out.flatMap((e) => (e.type === "toolCall" ? [{ name: e.call.name, arguments: e.call.arguments }] : [])),
  };
}

/** Every way of cutting `text` into two chunks. */
const splits = (text: string) => Array.from({ length: text.length + 1 }, (_, i) => [text.slice(0, i), text.slice(i)]);

describe("tool calls in a text stream", function () {
  it("finds Hermes <tool_call> blocks however the stream is cut, keeping the text around them", async function () {
    const answer = 'Let me check.<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call> Done';
    for (const chunks of splits(answer)) {
      const r = await run(chunks);
      assert.deepEqual(r.calls, [{ name: "get_weather", arguments: '{"city":"Paris"}' }], JSON.stringify(chunks));
      assert.equal(r.text, "Let me check.Done");
    }
  });

  it("finds Llama 3's bare JSON call, with or without <|python_tag|>", async function () {
    for (const answer of ['{"name": "get_weather", "parameters": {"city": "Oslo"}}', '<|python_tag|>{"name": "get_weather", "parameters": {"city": "Oslo"}}']) {
      for (const chunks of splits(answer)) {
        const r = await run(chunks);
        assert.deepEqual(r.calls, [{ name: "get_weather", arguments: '{"city":"Oslo"}' }], JSON.stringify(chunks));
        assert.equal(r.text, "");
      }
    }
  });

  it("leaves text that only looks like a call as text", async function () {
    for (const answer of [
      '<tool_call>{"name": "unknown_tool", "arguments": {}}</tool_call>',
      "<tool_call>{not json</tool_call>",
      '{"name": "get_weather"',
      '{"city": "Paris"}',
      "a < b and <tool not a tag",
    ]) {
      const r = await run([answer]);
      assert.deepEqual(r.calls, [], answer);
      assert.equal(r.text, answer);
    }
  });
});
