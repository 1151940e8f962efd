// OpenAI's Responses API through the real openai SDK against squeeze serve: responses.create and
// responses.stream, a tool round trip (a forced function call, constrained by llama.cpp's grammar,
// then its output sent back with previous_response_id), instructions, structured output, usage,
// the server's memory of responses, and errors.
import assert from "node:assert/strict";
import OpenAI from "openai";
import { postJson } from "../helpers/http";
import { TINY } from "../helpers/paths";
import { type SqueezeProcess, startSqueeze } from "../helpers/squeezeProcess";

const weather: OpenAI.Responses.FunctionTool = {
  type: "function",
  name: "get_weather",
  description: "Weather for a city",
  parameters: { type: "object", properties: { city: { type: "string", enum: ["Paris", "Oslo"] } }, required: ["city"], additionalProperties: false },
  strict: true,
};

describe("OpenAI Responses API on llama.cpp (openai SDK)", function () {
  this.timeout(120_000);
  let squeeze: SqueezeProcess;
  let client: OpenAI;
  let model: string;

  before(async () => {
    squeeze = await startSqueeze(["--model", TINY]);
    model = squeeze.modelId;
    client = new OpenAI({ baseURL: `${squeeze.url}/v1`, apiKey: "unused", maxRetries: 0 });
  });
  after(() => squeeze.stop());

  it("answers text input with a message, usage, and max_output_tokens as the reason it is incomplete", async () => {
    const response = await client.responses.create({ model, input: "Write a haiku about the sea.", max_output_tokens: 8, temperature: 0 });
    assert.match(response.id, /^resp_/);
    assert.equal(response.object, "response");
    assert.equal(response.status, "incomplete");
    assert.deepEqual(response.incomplete_details, { reason: "max_output_tokens" });
    assert.equal(response.output[0]?.type, "message");
    assert.ok(response.output_text.length > 0, "the SDK's output_text");
    assert.equal(response.usage?.output_tokens, 8);
    assert.equal(response.usage?.total_tokens, response.usage!.input_tokens + 8);
  });

  it("streams the same text as events the SDK's stream helper assembles", async () => {
    const body = { model, input: [{ role: "user" as const, content: "Write a haiku about the sea." }], instructions: "Be brief.", max_output_tokens: 10, temperature: 0 };
    const whole = await client.responses.create(body);
    const stream = client.responses.stream(body);
    const types: string[] = [];
    let deltas = "";
    stream.on("event", (event) => types.push(event.type));
    stream.on("response.output_text.delta", (event) => (deltas += event.delta));
    const final = await stream.finalResponse();
    assert.equal(final.output_text, whole.output_text);
    assert.equal(deltas, whole.output_text);
    assert.deepEqual(types.slice(0, 4), ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"]);
    assert.equal(types.at(-1), "response.incomplete");
    assert.equal(final.usage?.output_tokens, 10);
  });

  it("completes a tool round trip: a forced function call, then its output after previous_response_id", async () => {
    const ask = "What is the weather in Paris?";
    const called = await client.responses.create({ model, input: ask, tools: [weather], tool_choice: { type: "function", name: "get_weather" }, max_output_tokens: 200 });
    const call = called.output.find((o): o is OpenAI.Responses.ResponseFunctionToolCall => o.type === "function_call")!;
    assert.equal(call.name, "get_weather");
    assert.ok(["Paris", "Oslo"].includes((JSON.parse(call.arguments) as { city: string }).city), call.arguments);
    assert.equal(called.status, "completed");

    const streamed = await client.responses.stream({ model, input: ask, tools: [weather], tool_choice: "required", max_output_tokens: 200 }).finalResponse();
    const streamedCall = streamed.output.find((o) => o.type === "function_call") as OpenAI.Responses.ResponseFunctionToolCall;
    assert.ok(["Paris", "Oslo"].includes((JSON.parse(streamedCall.arguments) as { city: string }).city), "the streamed arguments assemble");

    const next = await client.responses.create({
      model,
      previous_response_id: called.id,
      input: [{ type: "function_call_output", call_id: call.call_id, output: "Sunny, 21 C" }],
      tools: [weather],
      max_output_tokens: 6,
    });
    assert.equal(next.previous_response_id, called.id);
    assert.equal(next.output[0]?.type, "message");
    // The earlier turn, its call and the output are all in this prompt.
    const alone = await client.responses.create({ model, input: [{ type: "function_call_output", call_id: call.call_id, output: "Sunny, 21 C" }], max_output_tokens: 1 });
    assert.ok(next.usage!.input_tokens > alone.usage!.input_tokens + 10, `${next.usage!.input_tokens} prompt tokens with the conversation, ${alone.usage!.input_tokens} without`);
  });

  it("answers text.format json_schema with JSON in that schema", async () => {
    const schema = { type: "object", properties: { city: { type: "string", enum: ["Paris", "Oslo"] }, days: { type: "integer" } }, required: ["city", "days"], additionalProperties: false };
    const response = await client.responses.create({ model, input: "A city and a number of days, as JSON.", text: { format: { type: "json_schema", name: "trip", schema } }, max_output_tokens: 100 });
    const value = JSON.parse(response.output_text) as { city: string; days: number };
    assert.ok(["Paris", "Oslo"].includes(value.city) && Number.isInteger(value.days), response.output_text);
  });

  it("keeps responses in memory to retrieve and delete, and says so when one is not there", async () => {
    const response = await client.responses.create({ model, input: "Hi", max_output_tokens: 2 });
    assert.equal((await client.responses.retrieve(response.id)).id, response.id);
    await client.responses.delete(response.id);
    await assert.rejects(client.responses.retrieve(response.id), (err: unknown) => err instanceof OpenAI.NotFoundError);
    await assert.rejects(client.responses.create({ model, input: "Hi", previous_response_id: "resp_gone" }), (err: unknown) => {
      assert.ok(err instanceof OpenAI.NotFoundError, String(err));
      assert.match(err.message, /memory/);
      return true;
    });
    const unstored = await client.responses.create({ model, input: "Hi", max_output_tokens: 2, store: false });
    await assert.rejects(client.responses.retrieve(unstored.id), (err: unknown) => err instanceof OpenAI.NotFoundError);
  });

  it("refuses what it cannot do, naming the field, and ignores fields it does not use", async () => {
    for (const [body, param] of [
      [{ model, input: "Hi", tools: [{ type: "web_search" }] }, "tools.0.type"],
      [{ model, input: [{ role: "user", content: [{ type: "input_image", image_url: "x" }] }] }, "input"],
      [{ model, input: "Hi", tool_choice: { type: "function", name: "nothing" } }, "tool_choice"],
      [{ model, input: "Hi", max_output_tokens: 10_000_000 }, "max_output_tokens"],
    ] as const) {
      const res = await postJson(squeeze.url, "/v1/responses", body);
      assert.equal(res.status, 400, res.body);
      assert.ok((JSON.parse(res.body) as { error: { param: string } }).error.param.startsWith(param), res.body);
    }
    const extra = await postJson(squeeze.url, "/v1/responses", { model, input: "Hi", max_output_tokens: 2, reasoning: { effort: "low" }, truncation: "auto", include: [], metadata: { a: "b" }, parallel_tool_calls: false });
    assert.equal(extra.status, 200, extra.body);
  });
});
