// Anthropic's Messages API through the real @anthropic-ai/sdk against squeeze serve, as Claude Code
// and the SDK call it: messages.create and messages.stream, a tool round trip (a forced tool_use,
// constrained by llama.cpp's grammar, then its tool_result), countTokens, stop reasons, and
// Anthropic's error shape.
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { postJson } from "../helpers/http";
import { TINY } from "../helpers/paths";
import { type SqueezeProcess, startSqueeze } from "../helpers/squeezeProcess";

const weatherTool: Anthropic.Tool = {
  name: "get_weather",
  description: "Weather for a city",
  input_schema: { type: "object", properties: { city: { type: "string", enum: ["Paris", "Oslo"] } }, required: ["city"], additionalProperties: false },
};
const ask: Anthropic.MessageParam[] = [{ role: "user", content: "What is the weather in Paris?" }];
// The SDK's types no longer carry sampling fields, but Claude Code and older SDKs send them, and
// the server reads them: greedy decoding makes answers comparable.
const greedy = { temperature: 0 };

describe("Anthropic Messages API on llama.cpp (@anthropic-ai/sdk)", function () {
  this.timeout(120_000);
  let squeeze: SqueezeProcess;
  let client: Anthropic;
  let model: string;

  before(async () => {
    squeeze = await startSqueeze(["--model", TINY]);
    model = squeeze.modelId;
    client = new Anthropic({ baseURL: squeeze.url, apiKey: "unused", maxRetries: 0 });
  });
  after(() => squeeze.stop());

  it("answers messages.create with a text block, max_tokens as its stop reason, and usage", async () => {
    const message = await client.messages.create({ model, max_tokens: 8, system: "You are terse.", messages: ask, ...greedy });
    assert.equal(message.type, "message");
    assert.equal(message.role, "assistant");
    assert.match(message.id, /^msg_/);
    assert.equal(message.stop_reason, "max_tokens");
    assert.equal(message.content.length, 1);
    assert.equal(message.content[0]!.type, "text");
    assert.equal(message.usage.output_tokens, 8);
    assert.ok(message.usage.input_tokens + (message.usage.cache_read_input_tokens ?? 0) > 10);
  });

  it("streams the same text as messages.stream's events, which the SDK assembles into the message", async () => {
    const body = { model, max_tokens: 12, messages: ask, ...greedy };
    const whole = await client.messages.create(body);
    const stream = client.messages.stream(body);
    const types: string[] = [];
    stream.on("streamEvent", (event) => types.push(event.type));
    const final = await stream.finalMessage();
    assert.deepEqual(final.content, whole.content);
    assert.equal(final.stop_reason, "max_tokens");
    assert.equal(final.usage.output_tokens, 12);
    assert.equal(types[0], "message_start");
    assert.equal(types[1], "content_block_start");
    assert.deepEqual(types.slice(-3), ["content_block_stop", "message_delta", "message_stop"]);
  });

  it("says which stop sequence ended the answer", async () => {
    const first = await client.messages.create({ model, max_tokens: 24, messages: ask, ...greedy });
    const text = (first.content[0] as Anthropic.TextBlock).text;
    const stop = text.trim().slice(4, 7);
    assert.ok(stop.trim().length > 0, `a stop sequence from the answer "${text}"`);
    const stopped = await client.messages.create({ model, max_tokens: 24, messages: ask, ...greedy, stop_sequences: [stop] });
    assert.equal(stopped.stop_reason, "stop_sequence");
    assert.equal(stopped.stop_sequence, stop);
    assert.ok(!(stopped.content[0] as Anthropic.TextBlock | undefined)?.text.includes(stop));
  });

  it("completes a tool round trip: a forced tool_use, then the tool_result answered in text", async () => {
    const called = await client.messages.create({ model, max_tokens: 200, messages: ask, tools: [weatherTool], tool_choice: { type: "tool", name: "get_weather" } });
    assert.equal(called.stop_reason, "tool_use");
    const use = called.content.find((b): b is Anthropic.ToolUseBlock => b.type === "tool_use")!;
    assert.equal(use.name, "get_weather");
    assert.ok(["Paris", "Oslo"].includes((use.input as { city: string }).city), JSON.stringify(use.input));

    const streamed = await client.messages.stream({ model, max_tokens: 200, messages: ask, tools: [weatherTool], tool_choice: { type: "tool", name: "get_weather" } }).finalMessage();
    const streamedUse = streamed.content.find((b) => b.type === "tool_use") as Anthropic.ToolUseBlock;
    assert.ok(["Paris", "Oslo"].includes((streamedUse.input as { city: string }).city), "the SDK assembles the streamed input_json_delta");

    const answer = await client.messages.create({
      model,
      max_tokens: 8,
      tools: [weatherTool],
      messages: [...ask, { role: "assistant", content: called.content }, { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "Sunny, 21 C" }] }],
    });
    assert.equal(answer.content[0]?.type, "text");
    const withResult = await client.messages.countTokens({
      model,
      messages: [...ask, { role: "assistant", content: called.content }, { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "Sunny, 21 C" }] }],
    });
    const without = await client.messages.countTokens({ model, messages: ask });
    assert.ok(withResult.input_tokens > without.input_tokens + 5, `${withResult.input_tokens} tokens with the call and its result, ${without.input_tokens} without`);
  });

  it("counts a request's tokens as the model's template renders them, tools and system included", async () => {
    const plain = await client.messages.countTokens({ model, messages: ask });
    const tokenized = await postJson(squeeze.url, "/v1/tokenize", { messages: [{ role: "user", content: "What is the weather in Paris?" }] });
    assert.equal(plain.input_tokens, (JSON.parse(tokenized.body) as { tokens: number[] }).tokens.length);
    const withSystem = await client.messages.countTokens({ model, system: "You are terse.", messages: ask });
    const withTools = await client.messages.countTokens({ model, messages: ask, tools: [weatherTool] });
    assert.ok(withSystem.input_tokens > plain.input_tokens);
    assert.ok(withTools.input_tokens > plain.input_tokens + 10, `${withTools.input_tokens} with a tool, ${plain.input_tokens} without`);
  });

  it("fails in Anthropic's error shape, which the SDK turns into its typed errors", async () => {
    await assert.rejects(client.messages.create({ model: "no-such-model", max_tokens: 8, messages: ask }), (err: unknown) => {
      assert.ok(err instanceof Anthropic.NotFoundError, String(err));
      assert.equal((err.error as { type: string; error: { type: string } }).error.type, "not_found_error");
      return true;
    });
    for (const [body, field] of [
      [{ model, messages: ask }, "max_tokens"],
      [{ model, max_tokens: 8, messages: [{ role: "user", content: [{ type: "image", source: {} }] }] }, "messages"],
      [{ model, max_tokens: 8, messages: ask, tool_choice: { type: "tool", name: "nothing" } }, "tool_choice"],
    ] as const) {
      const res = await postJson(squeeze.url, "/v1/messages", body);
      assert.equal(res.status, 400, res.body);
      const parsed = JSON.parse(res.body) as { type: string; error: { type: string; message: string } };
      assert.equal(parsed.type, "error");
      assert.equal(parsed.error.type, "invalid_request_error");
      assert.match(parsed.error.message, new RegExp(field));
    }
    const broken = await fetch(`${squeeze.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    assert.equal(broken.status, 400);
    assert.equal(((await broken.json()) as { type: string }).type, "error");
  });

  it("ignores fields it does not use (metadata, thinking, cache_control)", async () => {
    const res = await postJson(squeeze.url, "/v1/messages", {
      model,
      max_tokens: 4,
      metadata: { user_id: "u1" },
      service_tier: "auto",
      messages: [{ role: "user", content: [{ type: "text", text: "Hi", cache_control: { type: "ephemeral" } }] }],
    });
    assert.equal(res.status, 200, res.body);
  });
});
