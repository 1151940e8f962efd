// Tool calling and structured output through the real openai SDK: on llama.cpp the grammar makes
// even the random-weights test model answer in the right shape; backends without a grammar refuse.
import assert from "node:assert/strict";
import OpenAI from "openai";
import { z } from "zod";
import { postJson } from "../helpers/http";
import { TINY, TINY_ONNX } from "../helpers/paths";
import { type SqueezeProcess, startSqueeze } from "../helpers/squeezeProcess";

const weather = z.object({ city: z.enum(["Paris", "Oslo", "Lima"]), days: z.int(), metric: z.boolean() }).strict();
const forecast = z.object({ summary: z.string().max(12), high: z.number(), low: z.int(), tags: z.array(z.enum(["sun", "rain", "wind"])) }).strict();

/** zod's JSON Schema, without the "$schema" marker grammars do not need. */
function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _marker, ...rest } = z.toJSONSchema(schema) as Record<string, unknown>;
  return rest;
}

const tools: OpenAI.ChatCompletionTool[] = [
  { type: "function", function: { name: "get_weather", description: "Weather for a city", parameters: jsonSchema(weather) } },
  { type: "function", function: { name: "list_files", parameters: jsonSchema(z.object({ folder: z.enum(["src", "test"]) }).strict()) } },
];
const ask = [{ role: "user" as const, content: "What is the weather in Paris?" }];

describe("tool calls and structured output on llama.cpp (openai SDK)", function () {
  let squeeze: SqueezeProcess;
  let client: OpenAI;
  let model: string;

  before(async () => {
    squeeze = await startSqueeze(["--model", TINY]);
    model = squeeze.modelId;
    client = new OpenAI({ baseURL: `${squeeze.url}/v1`, apiKey: "unused", maxRetries: 0 });
  });
  after(() => squeeze.stop());

  it("answers tool_choice required with one well-formed call", async function () {
    for (const seed of [1, 2]) {
      const r = await client.chat.completions.create({ model, messages: ask, tools, tool_choice: "required", seed, max_tokens: 400 });
      const choice = r.choices[0];
      assert.equal(choice.finish_reason, "tool_calls", JSON.stringify(choice));
      assert.equal(choice.message.content, null);
      const [call] = choice.message.tool_calls!;
      assert.equal(call.type, "function");
      assert.match(call.id, /^call_/);
      assert.ok(call.type === "function" && ["get_weather", "list_files"].includes(call.function.name));
      if (call.type === "function" && call.function.name === "get_weather") weather.parse(JSON.parse(call.function.arguments));
    }
  });

  it("calls the named function, streaming its arguments in pieces the SDK's helper assembles", async function () {
    const stream = client.chat.completions.stream({ model, messages: ask, tools, tool_choice: { type: "function", function: { name: "get_weather" } }, max_tokens: 400 });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    stream.on("chunk", (chunk) => chunks.push(chunk));
    const final = await stream.finalChatCompletion();
    const call = final.choices[0].message.tool_calls![0];
    assert.ok(call.type === "function" && call.function.name === "get_weather");
    assert.ok(call.type === "function" && weather.parse(JSON.parse(call.function.arguments)));
    assert.equal(final.choices[0].finish_reason, "tool_calls");
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    assert.equal(deltas[0].id, call.id, "the first delta names the call");
    assert.equal(deltas[0].function?.name, "get_weather");
    assert.ok(deltas.length > 2, "the arguments come in several pieces");
    assert.ok(deltas.slice(1).every((d) => d.index === 0 && d.id === undefined && d.function?.name === undefined));
  });

  it("takes the tool's result back and answers in text", async function () {
    const first = await client.chat.completions.create({ model, messages: ask, tools, tool_choice: "required", max_tokens: 400 });
    const assistant = first.choices[0].message;
    const call = assistant.tool_calls![0];
    const messages: OpenAI.ChatCompletionMessageParam[] = [...ask, assistant, { role: "tool", tool_call_id: call.id, content: "Sunny, 21 degrees" }];
    const second = await client.chat.completions.create({ model, messages, tools, max_tokens: 6, temperature: 0 });
    assert.equal(typeof second.choices[0].message.content, "string");
    assert.equal(second.choices[0].message.tool_calls, undefined);
    assert.ok(second.usage!.prompt_tokens > first.usage!.prompt_tokens, "the call and its result are in the prompt");
    // Reading calls out of the stream still reads it to its end: nothing counts as cancelled.
    const stats = (await (await fetch(`${squeeze.url}/v1/stats`)).json()) as { cancelled: number; completed: number };
    assert.equal(stats.cancelled, 0, JSON.stringify(stats));
  });

  it("answers json_schema with JSON that validates, and json_object with an object", async function () {
    for (const seed of [1, 2]) {
      const r = await client.chat.completions.create({
        model,
        messages: [{ role: "user", content: "Forecast as JSON" }],
        response_format: { type: "json_schema", json_schema: { name: "forecast", schema: jsonSchema(forecast), strict: true } },
        seed,
        max_tokens: 400,
      });
      assert.equal(r.choices[0].finish_reason, "stop", r.choices[0].message.content ?? "");
      forecast.parse(JSON.parse(r.choices[0].message.content!));
    }
    const object = await client.chat.completions.create({ model, messages: [{ role: "user", content: "JSON" }], response_format: { type: "json_object" }, max_tokens: 400 });
    const parsed: unknown = JSON.parse(object.choices[0].message.content!);
    assert.ok(typeof parsed === "object" && parsed !== null && !Array.isArray(parsed));
  });

  it("refuses malformed tools, tool_choice and response_format with 400s naming the field", async function () {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ tools: "x" }, "tools", /must be an array/],
      [{ tools: [{ type: "function", function: { name: "bad name!" } }] }, "tools.0.function.name", /letters, digits/],
      [{ tools: [{ type: "function", function: { name: "f", parameters: "x" } }] }, "tools.0.function.parameters", /JSON Schema object/],
      [{ tools, tool_choice: { type: "function", function: { name: "nope" } } }, "tool_choice", /no tool named 'nope'/],
      [{ tool_choice: "required" }, "tool_choice", /'tools' is empty/],
      [{ tools, tool_choice: "sometimes" }, "tool_choice", /must be one of "auto", "none", "required"/],
      [{ response_format: { type: "xml" } }, "response_format.type", /"json_schema"/],
      [{ response_format: { type: "json_schema", json_schema: { name: "x" } } }, "response_format.json_schema.schema", /Missing/],
      [{ response_format: { type: "json_object" }, tools, tool_choice: "required" }, "response_format", /cannot be combined/],
      [{ messages: [{ role: "assistant", content: null, tool_calls: [{ id: "1", function: { name: "f" } }] }] }, "messages.0.tool_calls.0.function.arguments", /Missing/],
    ];
    for (const [fields, param, message] of cases) {
      const res = await postJson(squeeze.url, "/v1/chat/completions", { model, messages: ask, ...fields });
      assert.equal(res.status, 400, `${JSON.stringify(fields)}: ${res.body}`);
      const error = (res.json() as { error: { param: string; message: string } }).error;
      assert.equal(error.param, param, res.body);
      assert.match(error.message, message);
    }
  });
});

describe("tool calls and structured output on onnxruntime (no grammar)", function () {
  let squeeze: SqueezeProcess;
  before(async () => (squeeze = await startSqueeze(["--model", TINY_ONNX])));
  after(() => squeeze.stop());

  it("refuses what it cannot guarantee, and answers auto tool requests in text", async function () {
    const model = squeeze.modelId;
    for (const fields of [{ tools, tool_choice: "required" }, { response_format: { type: "json_object" } }]) {
      const res = await postJson(squeeze.url, "/v1/chat/completions", { model, messages: ask, ...fields });
      assert.equal(res.status, 400, res.body);
      assert.match((res.json() as { error: { message: string } }).error.message, /constrained by a grammar, which onnxruntime cannot do/);
    }
    const auto = await postJson(squeeze.url, "/v1/chat/completions", { model, messages: ask, tools, max_tokens: 4 });
    assert.equal(auto.status, 200, auto.body);
  });
});
