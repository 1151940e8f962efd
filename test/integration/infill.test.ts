// llama.cpp's /infill as llama.vscode sends it (its createRequestPayload, read from its source), on
// the real llama.cpp runtime: the answer's shape, the completion path's KV reuse, its cache
// warm-up (n_predict 0), streaming without an end marker, and clear refusals.
import assert from "node:assert/strict";
import { postJson } from "../helpers/http";
import { TINY } from "../helpers/paths";
import { type SqueezeProcess, startSqueeze } from "../helpers/squeezeProcess";

interface InfillAnswer {
  content: string;
  stop: boolean;
  model: string;
  tokens_predicted: number;
  tokens_evaluated: number;
  tokens_cached: number;
  timings: { prompt_n: number; predicted_n: number; prompt_ms: number; predicted_ms: number };
}

/** The chunks llama.vscode's ring buffer sends: text, the time it was picked, the file. */
const chunks = [{ text: "export const LIMIT = 10;\nexport const NAME = 'squeeze';\n", time: Date.now(), filename: "/work/app/src/constants.ts" }];

/** llama.vscode's request for a suggestion (n_predict, sampling and budgets as its defaults set them). */
function vscodeRequest(inputPrefix: string, prompt: string, inputSuffix: string, nPredict = 16) {
  return {
    input_prefix: inputPrefix,
    input_suffix: inputSuffix,
    input_extra: chunks,
    prompt,
    n_predict: nPredict,
    top_k: 40,
    top_p: 0.99,
    stream: false,
    samplers: ["top_k", "top_p", "infill"],
    cache_prompt: true,
    n_indent: 2,
    t_max_prompt_ms: 500,
    t_max_predict_ms: 1000,
  };
}

describe("llama.cpp's /infill, as llama.vscode sends it", function () {
  this.timeout(120_000);
  let squeeze: SqueezeProcess;
  before(async () => {
    squeeze = await startSqueeze(["--model", TINY]);
  });
  after(() => squeeze.stop());

  const post = async (path: string, body: object): Promise<InfillAnswer> => {
    const res = await postJson(squeeze.url, path, body);
    assert.equal(res.status, 200, res.body);
    return JSON.parse(res.body) as InfillAnswer;
  };
  const prefix = `function total(items) {\n  let sum = 0;\n${"  sum += item.price * item.count;\n".repeat(12)}`;

  it("answers at the server's root with llama.cpp's fields, from the completion model", async () => {
    const answer = await post("/infill", vscodeRequest(prefix, "  return", "\n}\n"));
    assert.equal(typeof answer.content, "string");
    assert.equal(answer.stop, true);
    assert.equal(answer.model, squeeze.modelId);
    assert.ok(answer.tokens_predicted >= 1 && answer.tokens_predicted <= 16, `${answer.tokens_predicted} tokens predicted`);
    assert.equal(answer.timings.predicted_n, answer.tokens_predicted);
    assert.ok(answer.tokens_evaluated > 100, `${answer.tokens_evaluated} prompt tokens`);
    assert.equal(answer.timings.prompt_n, answer.tokens_evaluated - answer.tokens_cached);
  });

  it("is the completion path: the same text as /v1/completions with a suffix", async () => {
    // With the cursor's line in input_prefix and no prompt, the layout is /v1/completions' own.
    const greedy = { ...vscodeRequest(`${prefix}  return s`, "", "\n}\n", 8), temperature: 0 };
    const answer = await post("/v1/infill", greedy);
    const res = await postJson(squeeze.url, "/v1/completions", {
      model: squeeze.modelId,
      prompt: `${prefix}  return s`,
      suffix: "\n}\n",
      input_extra: chunks.map(({ filename, text }) => ({ filename, text })),
      max_tokens: 8,
      temperature: 0,
    });
    assert.equal(res.status, 200, res.body);
    assert.equal(answer.content, (JSON.parse(res.body) as { choices: { text: string }[] }).choices[0]!.text);
  });

  it("puts prompt (the cursor's line so far) after the middle marker, as llama.cpp does: typing along it evaluates only the typed characters", async () => {
    const long = `${prefix}${"  total = total + 1;\n".repeat(20)}`;
    const request = { ...vscodeRequest(prefix, "  return s", `\n${long}}\n`, 4), temperature: 0 };
    const first = await post("/infill", request);
    const typed = await post("/infill", { ...request, prompt: "  return su" });
    assert.ok(typed.tokens_cached >= first.tokens_evaluated - 2, `${typed.tokens_cached} of ${first.tokens_evaluated} prompt tokens reused, the suffix's included`);
    assert.ok(typed.timings.prompt_n <= 4, `${typed.timings.prompt_n} of ${typed.tokens_evaluated} prompt tokens evaluated after one more character`);
  });

  it("warms the cache with n_predict 0 (llama.vscode's ring-buffer update), generating nothing", async () => {
    const warm = await post("/infill", { ...vscodeRequest("", "", "", 0), input_extra: [{ text: "const WARM = 1;\n".repeat(30), time: 1, filename: "warm.ts" }], t_max_predict_ms: 1 });
    assert.equal(warm.content, "");
    assert.equal(warm.tokens_predicted, 0);
    const next = await post("/infill", { ...vscodeRequest("let a = ", "", ";\n", 4), input_extra: [{ text: "const WARM = 1;\n".repeat(30), time: 2, filename: "warm.ts" }] });
    assert.ok(next.tokens_cached >= warm.tokens_evaluated - 4, `${next.tokens_cached} tokens reused of the ${warm.tokens_evaluated} warmed`);
  });

  it("streams llama.cpp's events: content pieces, then the counts with stop, and no [DONE]", async () => {
    const res = await fetch(`${squeeze.url}/infill`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...vscodeRequest(prefix, "  return", "\n}\n", 6), stream: true, temperature: 0 }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
    const events = (await res.text()).split("\n\n").filter(Boolean);
    assert.ok(events.every((e) => e.startsWith("data: {")), events.join("|"));
    const parsed = events.map((e) => JSON.parse(e.slice(6)) as InfillAnswer);
    const last = parsed.at(-1)!;
    assert.equal(last.stop, true);
    assert.ok(parsed.slice(0, -1).every((e) => e.stop === false));
    assert.equal(last.tokens_predicted, 6);
  });

  it("refuses what it cannot read, naming the field, and ignores llama.cpp's fields it does not use", async () => {
    for (const [field, value] of [["n_predict", -2], ["input_prefix", 5], ["input_extra", [{ filename: "a" }]], ["t_max_predict_ms", "soon"], ["stop", "x"]] as const) {
      const res = await postJson(squeeze.url, "/infill", { ...vscodeRequest(prefix, "", ""), [field]: value });
      assert.equal(res.status, 400, `${field}: ${res.body}`);
      const { error } = JSON.parse(res.body) as { error: { param: string; message: string } };
      assert.ok(error.param.startsWith(field), `${field}: ${error.param}`);
    }
    const unknown = await postJson(squeeze.url, "/infill", { ...vscodeRequest(prefix, "", "", 2), lora: [{ id: 0, scale: 0.5 }], id_slot: -1, some_future_field: { a: 1 } });
    assert.equal(unknown.status, 200, unknown.body);
  });
});
