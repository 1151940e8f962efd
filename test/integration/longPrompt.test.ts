// A stream whose first token takes seconds (a long prompt evaluated on a CPU, a wait for the model):
// its headers go out after a second and SSE comments follow until the first token, so clients with
// idle timeouts keep waiting; real clients read the stream as usual. On the Qwen2.5-0.5B-shaped
// model; the wait is made by another chat holding the model, so it does not hang on the machine's speed.
import assert from "node:assert/strict";
import http from "node:http";
import OpenAI from "openai";
import { QWEN05 } from "../helpers/paths";
import { type SqueezeProcess, startSqueeze } from "../helpers/squeezeProcess";

/** Each line of the stream with when it arrived, from the request's start; `onLines` sees them as they come. */
function streamLines(url: string, body: object, onLines?: (lines: { at: number; text: string }[]) => void): Promise<{ status: number; lines: { at: number; text: string }[] }> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
      const lines: { at: number; text: string }[] = [];
      let buffered = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffered += chunk;
        const parts = buffered.split("\n");
        buffered = parts.pop()!;
        for (const text of parts) if (text) lines.push({ at: performance.now() - start, text });
        onLines?.(lines);
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, lines }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

describe("a stream whose first token takes seconds", function () {
  this.timeout(120_000);
  let squeeze: SqueezeProcess;
  before(async () => {
    // One generation at a time, so that a second chat waits for the first however fast the machine is.
    squeeze = await startSqueeze(["--model", QWEN05, "--ctx-size", "4096", "--parallel", "1"]);
  });
  after(() => squeeze.stop());

  // About 800 tokens, each request its own (nothing cached): seconds of prompt evaluation on two cores.
  const longPrompt = (n: number) => `Request ${n}. Summarize these notes:\n${Array.from({ length: 80 }, (_, i) => `note ${i}: the build ${n} step ${i} passed`).join("\n")}`;

  /** A long answer that holds the model until the returned function stops it: a request after it waits. */
  const holdModel = async (): Promise<() => void> => {
    const holder = new AbortController();
    const res = await fetch(`${squeeze.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: squeeze.modelId, messages: [{ role: "user", content: "Tell me a long story." }], max_tokens: 3000, stream: true }),
      signal: holder.signal,
    });
    await res.body!.getReader().read();
    return () => holder.abort();
  };

  it("sends SSE comments until the first token, then OpenAI's events", async () => {
    const release = await holdModel();
    const body = { model: squeeze.modelId, messages: [{ role: "user", content: longPrompt(1) }], max_tokens: 4, stream: true };
    const streamed = streamLines(`${squeeze.url}/v1/chat/completions`, body, (lines) => {
      // Two comments seen: let the model go.
      if (lines.filter((l) => l.text.startsWith(": ")).length === 2) release();
    });
    const { status, lines } = await streamed;
    assert.equal(status, 200);
    const firstData = lines.findIndex((l) => l.text.startsWith("data: "));
    const comments = lines.slice(0, firstData);
    assert.ok(comments.length >= 2 && comments.every((l) => l.text.startsWith(": ")), JSON.stringify(comments));
    assert.ok(comments[0]!.at >= 900 && comments[0]!.at < 1_600, `the first comment came after ${comments[0]!.at.toFixed(0)} ms`);
    assert.ok(comments[1]!.at - comments[0]!.at >= 1_500, "then every 2 s");
    assert.ok(lines.slice(firstData).every((l) => l.text.startsWith("data: ")), "only events after the first token");
    assert.equal(lines.at(-1)!.text, "data: [DONE]");
  });

  it("is read as usual by the openai SDK", async () => {
    const client = new OpenAI({ baseURL: `${squeeze.url}/v1`, apiKey: "unused", maxRetries: 0 });
    // Comments for 2.5 s before the first token.
    const release = await holdModel();
    setTimeout(release, 2_500);
    const stream = await client.chat.completions.create({ model: squeeze.modelId, messages: [{ role: "user", content: longPrompt(2) }], max_tokens: 4, stream: true });
    let text = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.ok(text.length > 0);
    assert.equal(finish, "length");
  });

  it("keeps a refusal's status when it comes at once (a prompt longer than the context)", async () => {
    const res = await fetch(`${squeeze.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: squeeze.modelId, messages: [{ role: "user", content: longPrompt(3).repeat(8) }], stream: true }),
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, "context_length_exceeded");
  });
});
