// Inline completions: the cache and the rules that shape a suggestion (plain functions), and the
// server's dedicated fill-in-the-middle sequence, whose KV cache survives chats in between.
import assert from "node:assert/strict";
import { CompletionCache } from "../../src/editor/completions/completionCache";
import { ApiClient } from "../../src/editor/apiClient";
import { Completer, type CompletionReport } from "../../src/editor/completions/completer";
import { ContextRing } from "../../src/editor/completions/contextRing";
import { MIN_DEBOUNCE_MS, TypingRhythm } from "../../src/editor/completions/typingRhythm";
import { budget, completionMode, contextWindow, repeatsFollowing, shapeCompletion, stops } from "../../src/editor/completions/completionRules";
import { eventually } from "../helpers/eventually";
import { postJson } from "../helpers/http";
import { QWEN05, TINY } from "../helpers/paths";
import { type SqueezeProcess, startSqueeze } from "../helpers/squeezeProcess";

describe("completion cache", () => {
  it("answers the same place from memory", () => {
    const cache = new CompletionCache();
    cache.set("const a = ", ";\n", "1 + 2");
    assert.deepEqual(cache.get("const a = ", ";\n"), { text: "1 + 2", exact: true });
    assert.equal(cache.get("const a = ", "\n"), undefined, "another suffix is another place");
  });

  it("answers with the rest of a suggestion the user is typing along", () => {
    const cache = new CompletionCache();
    cache.set("const a = ", ";\n", "1 + 2");
    assert.deepEqual(cache.get("const a = 1 ", ";\n"), { text: "+ 2", exact: false });
    assert.equal(cache.get("const a = 1 + 2", ";\n"), undefined, "nothing is left once the whole suggestion is typed");
    assert.equal(cache.get("const a = 7", ";\n"), undefined, "typing something else is not along the suggestion");
  });

  it("forgets the least recently used entry beyond its capacity", () => {
    const cache = new CompletionCache(2);
    cache.set("a", "", "1");
    cache.set("b", "", "2");
    cache.get("a", "");
    cache.set("c", "", "3");
    assert.equal(cache.size, 2);
    assert.equal(cache.get("b", ""), undefined);
    assert.equal(cache.get("a", "")?.text, "1");
  });
});

describe("completion rules", () => {
  it("suggests one line when code follows the cursor, several after a block opener or on an empty line", () => {
    assert.equal(completionMode("  foo(", "bar);"), "single-line");
    assert.equal(completionMode("function f() {", ""), "multi-line");
    assert.equal(completionMode("if x:", ""), "multi-line");
    assert.equal(completionMode("    ", ""), "multi-line");
    assert.equal(completionMode("const x = ", ""), "single-line");
    assert.equal(completionMode("call(", ")"), "multi-line", "only closing brackets after the cursor do not count as code");
    assert.deepEqual(stops("single-line"), ["\n"]);
  });

  it("cuts a suggestion to its mode and drops blank ones", () => {
    assert.equal(shapeCompletion("a + b\nnext()", "single-line", ""), "a + b");
    assert.equal(shapeCompletion("  \n\n", "multi-line", ""), undefined);
    const long = Array.from({ length: 20 }, (_, i) => `line${i}`).join("\n");
    assert.equal(shapeCompletion(long, "multi-line", "")?.split("\n").length, 8);
  });

  it("drops a suggestion that repeats what follows the cursor", () => {
    assert.equal(repeatsFollowing("return x;", "\n  return x;\n}"), true);
    assert.equal(repeatsFollowing(")", ");"), true);
    assert.equal(repeatsFollowing("a()\nb()", "\na()\nb()\n"), true);
    assert.equal(repeatsFollowing("a()\nc()", "\na()\nb()\n"), false);
    assert.equal(shapeCompletion("return x;", "single-line", "\n  return x;\n}"), undefined);
  });

  it("keeps the prefix window's start in place while the user types, so the server's KV cache holds", () => {
    const text = "let x = 1;\n".repeat(2000);
    let previous = contextWindow(text, 15_000).prefix;
    for (let offset = 15_001; offset < 15_200; offset++) {
      const { prefix } = contextWindow(text, offset);
      assert.ok(prefix.startsWith(previous), `the window at ${offset} extends the one before`);
      assert.ok(prefix.startsWith("let x"), "it starts on a line boundary");
      previous = prefix;
    }
    assert.ok(previous.length <= 3000 + 1024);
    assert.ok(contextWindow(text, 15_000).suffix.length <= 160);
  });

  it("spends fewer tokens and less time on battery", () => {
    assert.ok(budget("multi-line", true).maxTokens < budget("multi-line", false).maxTokens);
    assert.ok(budget("single-line", true).maxPredictMs < budget("single-line", false).maxPredictMs);
    assert.ok(budget("single-line", false).maxTokens < budget("multi-line", false).maxTokens);
  });
});

describe("context ring", () => {
  const file = (n: number) => Array.from({ length: 200 }, (_, i) => `line ${i} of file ${n}`).join("\n");

  it("keeps chunks around where the user was, replacing an overlapping chunk of the same file", () => {
    const ring = new ContextRing(6, 10_000, 10);
    ring.add("a.ts", file(1), 50);
    ring.add("a.ts", file(1), 52);
    ring.add("b.ts", file(2), 100);
    const chunks = ring.chunksFor("c.ts");
    assert.deepEqual(chunks.map((c) => c.filename), ["a.ts", "b.ts"]);
    assert.match(chunks[0]!.text, /^line 47 of file 1\n/);
    assert.equal(chunks[0]!.text.split("\n").length, 10);
  });

  it("leaves out the current file and keeps the newest chunks within its budget", () => {
    const ring = new ContextRing(6, 450, 10);
    for (let n = 1; n <= 5; n++) ring.add(`f${n}.ts`, file(n), 20);
    const chunks = ring.chunksFor("f5.ts");
    assert.deepEqual(chunks.map((c) => c.filename), ["f3.ts", "f4.ts"], "the two newest chunks of other files (about 190 characters each) fit 450");
  });

  it("holds at most its number of chunks, forgetting the oldest", () => {
    const ring = new ContextRing(2, 10_000, 10);
    for (let n = 1; n <= 3; n++) ring.add(`f${n}.ts`, file(n), 20);
    assert.deepEqual(ring.chunksFor("x").map((c) => c.filename), ["f2.ts", "f3.ts"]);
  });
});

describe("typing rhythm", () => {
  const clocks = new Map<TypingRhythm, number>();
  /** Keystrokes `gaps` apart, the first at 0, the next call's going on from the last. */
  const typed = (rhythm: TypingRhythm, gaps: number[]) => {
    let now = clocks.get(rhythm);
    if (now === undefined) rhythm.keystroke((now = 0));
    for (const gap of gaps) rhythm.keystroke((now += gap));
    clocks.set(rhythm, now);
  };
  /** A rhythm whose model has answered within the fast bound. */
  const answeredFast = () => {
    const rhythm = new TypingRhythm();
    rhythm.answered(250);
    return rhythm;
  };

  it("asks at once on mains power once the model has answered fast", () => {
    const rhythm = new TypingRhythm();
    typed(rhythm, [60, 70, 80]);
    assert.equal(rhythm.debounceMs(150, false), 150, "before any answer the cost of a request is unknown");
    rhythm.answered(250);
    assert.equal(rhythm.debounceMs(150, false), 0);
    rhythm.answered(900);
    assert.equal(rhythm.debounceMs(150, false), 150, "a slow model's tokens hold the next request up");
  });

  it("on battery waits the configured debounce until it knows the rhythm, then the user's 75th percentile gap within bursts, doubled", () => {
    const rhythm = answeredFast();
    typed(rhythm, [60, 70, 80]);
    assert.equal(rhythm.debounceMs(150, true), 300, "three gaps are not a rhythm yet");
    // Pauses between bursts are not part of the rhythm.
    typed(rhythm, [900, 60, 70, 80, 90, 1200, 100, 110]);
    assert.equal(rhythm.debounceMs(150, true), 180);
    rhythm.answered(900);
    assert.equal(rhythm.debounceMs(150, true), 300, "a slow model: the configured debounce");
  });

  it("on battery never waits longer than configured, nor less than its floor, before doubling", () => {
    const slowTypist = answeredFast();
    typed(slowTypist, [300, 320, 310, 290, 330, 300, 310]);
    assert.equal(slowTypist.debounceMs(150, true), 300);
    const fast = answeredFast();
    typed(fast, [10, 12, 9, 11, 10, 12, 10]);
    assert.equal(fast.debounceMs(150, true), 2 * MIN_DEBOUNCE_MS);
    assert.equal(fast.debounceMs(0, true), 0, "a debounce configured off stays off");
  });
});

describe("fill-in-the-middle KV reuse on llama.cpp", function () {
  this.timeout(120_000);
  let squeeze: SqueezeProcess;
  before(async () => {
    squeeze = await startSqueeze(["--model", TINY]);
  });
  after(() => squeeze.stop());

  const infill = async (prompt: string, extra?: { filename: string; text: string }[]) => {
    const res = await postJson(squeeze.url, "/v1/completions", { model: squeeze.modelId, prompt, suffix: "\n}\n", max_tokens: 4, temperature: 0, input_extra: extra });
    assert.equal(res.status, 200, res.body);
    const usage = JSON.parse(res.body).usage as { prompt_tokens: number; prompt_tokens_details: { cached_tokens: number } };
    return { prompt: usage.prompt_tokens, evaluated: usage.prompt_tokens - usage.prompt_tokens_details.cached_tokens };
  };

  it("evaluates only a few prompt tokens after a one-character edit, even with a chat in between", async () => {
    const prefix = `function total(items) {\n${"  sum += item.price * item.count;\n".repeat(20)}  return`;
    const first = await infill(prefix);
    assert.equal(first.evaluated, first.prompt, "the first request evaluates its whole prompt");
    const chat = await postJson(squeeze.url, "/v1/chat/completions", { model: squeeze.modelId, messages: [{ role: "user", content: "Something else entirely" }], max_tokens: 4 });
    assert.equal(chat.status, 200, chat.body);
    const edited = await infill(`${prefix} `);
    assert.ok(edited.prompt > 200, `a long prompt (${edited.prompt} tokens)`);
    // The changed token at the cursor, the suffix after it, and the FIM marker.
    assert.ok(edited.evaluated <= 8, `${edited.evaluated} of ${edited.prompt} prompt tokens were evaluated`);
  });

  describe("past the first difference (prefix-suffix-middle: the suffix follows every edit)", () => {
    const lines = Array.from({ length: 40 }, (_, i) => `  const v${i} = items[${i}].price * ${i};\n`);
    const suffix = `\n  }\n${"  log(sum, items.length, 'subtotal');\n".repeat(12)}  return sum;\n}\n`;
    /** llama.cpp's /infill, as the extension sends it: the cursor's line so far after the middle marker. */
    const ask = async (before: string, line: string) => {
      const res = await postJson(squeeze.url, "/infill", { model: squeeze.modelId, input_prefix: before, prompt: line, input_suffix: suffix, n_predict: 8, temperature: 0 });
      assert.equal(res.status, 200, res.body);
      const answer = JSON.parse(res.body) as { content: string; tokens_evaluated: number; tokens_cached: number };
      return { text: answer.content, prompt: answer.tokens_evaluated, evaluated: answer.tokens_evaluated - answer.tokens_cached };
    };
    const head = "function total(items) {\n";

    it("evaluates only the typed characters, the long suffix staying cached", async () => {
      const first = await ask(head + lines.join(""), "  sum +");
      assert.ok(first.prompt > 400, `a long prompt (${first.prompt} tokens)`);
      const typed = await ask(head + lines.join(""), "  sum +=");
      assert.ok(typed.evaluated <= 3, `${typed.evaluated} of ${typed.prompt} prompt tokens evaluated after a keystroke`);
    });

    it("moves back what follows when the prefix window's start moves on, or a line above goes", async () => {
      await ask(head + lines.join(""), "  sum");
      const moved = await ask(head + lines.slice(6).join(""), "  sum");
      // The function's first line stays; the rest of the window and the suffix move back.
      assert.ok(moved.evaluated <= 3, `${moved.evaluated} of ${moved.prompt} prompt tokens evaluated after the window's start moved 6 lines`);
      const deleted = await ask(head + lines.slice(6, 20).join("") + lines.slice(21).join(""), "  sum");
      assert.ok(deleted.evaluated <= 3, `${deleted.evaluated} of ${deleted.prompt} evaluated after a line above was deleted`);
    });

    it("leaves the sequence consistent: after an edit and its undo it answers as before, and the same prompt again evaluates only its last token", async () => {
      const prefix = head + lines.slice(0, 30).join("");
      const before = await ask(prefix, "  return");
      await ask(head + lines.slice(3, 30).join(""), "  return");
      const undone = await ask(prefix, "  return");
      const again = await ask(prefix, "  return");
      assert.equal(again.evaluated, 1);
      assert.equal(again.text, undone.text, "the same cache, the same answer");
      assert.equal(undone.text, before.text, "the answer after an edit and its undo");
    });
  });

  it("puts other files before the prompt in the model's repository format, and keeps them cached", async () => {
    const prefix = "def area(r):\n    return";
    const plain = await infill(prefix);
    const extra = [{ filename: "geometry/constants.py", text: "PI = 3.14159\nTAU = 2 * PI\n" }];
    const withExtra = await infill(prefix, extra);
    // Qwen's format: <|file_sep|>path\ntext per chunk, then <|file_sep|> before the current file.
    assert.ok(withExtra.prompt > plain.prompt + 10, `${withExtra.prompt} prompt tokens with the chunk, ${plain.prompt} without`);
    const next = await infill(`${prefix} `, extra);
    assert.ok(next.evaluated <= 8, `${next.evaluated} of ${next.prompt} prompt tokens were evaluated with the same chunks`);
  });

  it("answers with what it generated when t_max_predict_ms is spent, and refuses a bad one", async () => {
    const body = { model: squeeze.modelId, prompt: "function f() {", suffix: "}", max_tokens: 3000, temperature: 0 };
    const res = await postJson(squeeze.url, "/v1/completions", { ...body, t_max_predict_ms: 20 });
    assert.equal(res.status, 200, res.body);
    const answer = JSON.parse(res.body) as { choices: { finish_reason: string }[]; usage: { completion_tokens: number } };
    assert.equal(answer.choices[0]!.finish_reason, "length");
    assert.ok(answer.usage.completion_tokens < 3000, `${answer.usage.completion_tokens} tokens in a 20 ms budget`);
    for (const bad of [0, -5, 1.5, "fast"]) {
      const refused = await postJson(squeeze.url, "/v1/completions", { ...body, t_max_predict_ms: bad });
      assert.equal(refused.status, 400, `${JSON.stringify(bad)}: ${refused.body}`);
      assert.equal(JSON.parse(refused.body).error.param, "t_max_predict_ms");
    }
  });

  it("refuses input_extra without a suffix, and malformed chunks", async () => {
    const noSuffix = await postJson(squeeze.url, "/v1/completions", { model: squeeze.modelId, prompt: "x", input_extra: [{ filename: "a", text: "b" }] });
    assert.equal(noSuffix.status, 400);
    assert.equal(JSON.parse(noSuffix.body).error.param, "input_extra");
    const malformed = await postJson(squeeze.url, "/v1/completions", { model: squeeze.modelId, prompt: "x", suffix: "", input_extra: [{ name: "a" }] });
    assert.equal(malformed.status, 400, malformed.body);
  });
});

describe("completer against a real server", function () {
  this.timeout(120_000);
  let squeeze: SqueezeProcess;
  let reports: CompletionReport[];
  let completer: Completer;
  before(async () => {
    squeeze = await startSqueeze(["--model", QWEN05]);
  });
  // A completer of its own per test: one test's suggestion asked ahead is not another's to cancel.
  beforeEach(() => {
    reports = [];
    completer = new Completer(() => new ApiClient(squeeze.url), () => squeeze.modelId, { debounceMs: () => 0, onBattery: () => false }, (r) => reports.push(r));
  });
  afterEach(() => completer.dispose());
  after(() => squeeze.stop());

  const stats = async () => JSON.parse((await (await fetch(`${squeeze.url}/api/v1/stats`)).text())) as { cancelled: number; completed: number; requests_in_flight: number };

  it("answers the same place again from its cache, without a request", async () => {
    await eventually(async () => ((await stats()).requests_in_flight === 0 ? true : undefined), "the earlier tests' requests to end");
    const text = "def area(r):\n    return ";
    const before = (await stats()).completed;
    const first = await completer.complete("area.py", text, text.length, new AbortController().signal);
    // This suggestion's request, and the one for the place after it, asked ahead.
    const completed = await eventually(async () => ((await stats()).completed === before + 2 ? before + 2 : undefined), "the suggestion and the one asked ahead");
    const again = await completer.complete("area.py", text, text.length, new AbortController().signal);
    assert.deepEqual(again, first && { ...first, source: "cache" });
    assert.deepEqual(reports.map((r) => r.source), ["server", "cache"]);
    assert.equal((await stats()).completed, completed, "the second answer made no request");
  });

  it("warms up a file as it opens, so the first suggestion there evaluates only a few prompt tokens", async () => {
    const text = `${Array.from({ length: 60 }, (_, i) => `const value${i} = compute(${i}, "item ${i}");`).join("\n")}\nconst total = `;
    await completer.warmUp("values.ts", text, text.length);
    assert.equal(reports.length, 0, "a warm-up is not a suggestion");
    await completer.complete("values.ts", text, text.length, new AbortController().signal);
    const [first] = reports;
    assert.equal(first?.source, "server");
    const evaluated = first.promptTokens! - first.cachedTokens!;
    assert.ok(first.promptTokens! > 500 && evaluated <= 4, `${evaluated} of ${first.promptTokens} prompt tokens evaluated`);
  });

  it("asks for the next suggestion while one is shown, so accepting it answers from the cache", async () => {
    await eventually(async () => ((await stats()).requests_in_flight === 0 ? true : undefined), "the earlier tests' requests to end");
    const before = (await stats()).completed;
    const text = "def volume(r, h):\n    return ";
    const first = await completer.complete("volume.py", text, text.length, new AbortController().signal);
    assert.equal(first?.source, "server");
    // Tab: the suggestion becomes text, and the editor asks at the end of it.
    const accepted = text + first!.text;
    const next = await completer.complete("volume.py", accepted, accepted.length, new AbortController().signal);
    assert.deepEqual(reports.map((r) => r.source), ["server", "cache"], "the suggestion after the accepted one made no request of its own");
    // The server counts a request once its answer is out, so the count can trail the answer.
    await eventually(async () => ((await stats()).completed === before + 2 ? true : undefined), "two requests: the shown suggestion's, and the one asked ahead");
    assert.ok(next === undefined || next.source === "cache");
  });

  it("asked for more, gives sampled alternatives, each once and shaped for the place, none superseding another", async () => {
    await eventually(async () => ((await stats()).requests_in_flight === 0 ? true : undefined), "the earlier tests' requests to end");
    // As an editor window asks: its requests name the window, so that a newer place supersedes an older one.
    const window = new Completer(() => new ApiClient(squeeze.url, {}, "window-alternatives"), () => squeeze.modelId, { debounceMs: () => 0, onBattery: () => false }, () => {});
    const text = "def area(r):\n    return ";
    const first = await window.complete("area.py", text, text.length, new AbortController().signal, { invoked: true });
    await eventually(async () => ((await stats()).requests_in_flight === 0 ? true : undefined), "the suggestion asked ahead to end");
    const { cancelled, completed } = await stats();
    const others = await window.alternatives("area.py", text, text.length, new AbortController().signal);
    window.dispose();
    const after = await stats();
    assert.equal(after.cancelled, cancelled, "the alternatives, all for the same place, went on side by side");
    assert.ok(after.completed >= completed + 3, `three sampled requests answered (${after.completed - completed})`);
    assert.ok(first && others.length > 0, `alternatives: ${JSON.stringify(others)}`);
    assert.equal(new Set(others).size, others.length, "no alternative twice");
    assert.ok(others.every((o) => o.trim().length > 0 && !o.includes("\n")), "each is one line, as the place asks");
  });

  describe("a request in flight when the user types on", () => {
    // A block opener: multi-line, up to 64 tokens, long enough to type into while it generates.
    const text = "class Queue:\n    def __init__(self):";
    /** The greedy answer at `text`, and the completer's own request for it in flight. */
    const inFlight = async () => {
      const expected = await completer.complete("queue.py", text, text.length, new AbortController().signal);
      assert.ok(expected && expected.text.length > 1, `an answer to type along: ${JSON.stringify(expected)}`);
      await eventually(async () => ((await stats()).requests_in_flight === 0 ? true : undefined), "the requests so far to end");
      const fresh = new Completer(() => new ApiClient(squeeze.url), () => squeeze.modelId, { debounceMs: () => 0, onBattery: () => false }, (r) => reports.push(r));
      const first = new AbortController();
      const pending = fresh.complete("queue.py", text, text.length, first.signal);
      await eventually(async () => ((await stats()).requests_in_flight > 0 ? true : undefined), "the request to reach the engine", 10_000, 5);
      // The editor cancels the request it asked, then asks at the next character.
      first.abort();
      assert.equal(await pending, undefined);
      reports.length = 0;
      return { fresh, expected: expected.text, before: await stats() };
    };

    it("is taken over when the typed character is what the model generates: its answer less that character, no new request", async () => {
      const { fresh, expected, before } = await inFlight();
      const typed = text + expected[0];
      const answer = await fresh.complete("queue.py", typed, typed.length, new AbortController().signal);
      fresh.dispose();
      assert.equal(answer?.source, "server");
      // Both are the same greedy answer, each cut where its 1.2 s time budget ran out (a loaded
      // machine generates less): one starts the other.
      const [shorter, longer] = [answer!.text, expected.slice(1)].sort((a, b) => a.length - b.length);
      assert.ok(shorter!.length > 0 && longer!.startsWith(shorter!), `${JSON.stringify(answer!.text)} is the greedy answer ${JSON.stringify(expected)} less its first character`);
      assert.ok(reports.some((r) => r.takenOver), JSON.stringify(reports));
      const after = await stats();
      assert.equal(after.cancelled, before.cancelled, "nothing cancelled");
      assert.equal(reports.filter((r) => r.source === "server" && !r.takenOver).length, 1, "one request answered both places");
    });

    it("is cancelled at once when the typed character parts from it, and the new place gets its own answer", async () => {
      const { fresh, expected, before } = await inFlight();
      const other = expected[0] === "z" ? "q" : "z";
      const typed = text + other;
      const answer = await fresh.complete("queue.py", typed, typed.length, new AbortController().signal);
      fresh.dispose();
      await eventually(async () => ((await stats()).cancelled === before.cancelled + 1 ? true : undefined), "the request in flight to be cancelled", 10_000, 20);
      assert.ok(!reports.some((r) => r.takenOver));
      assert.ok(answer === undefined || answer.source === "server");
    });
  });

  it("stops the server's generation when a newer keystroke supersedes the request", async () => {
    const before = await stats();
    const abort = new AbortController();
    // A block opener: multi-line, up to 64 tokens and 1.2 s of generation for this model on a CPU.
    const text = "class Stack:\n    def __init__(self):";
    const pending = completer.complete("area.py", text, text.length, abort.signal);
    await eventually(async () => ((await stats()).requests_in_flight > 0 ? true : undefined), "the request to reach the engine", 10_000, 20);
    abort.abort();
    assert.equal(await pending, undefined);
    await eventually(async () => {
      const now = await stats();
      return now.cancelled === before.cancelled + 1 && now.requests_in_flight === 0 ? true : undefined;
    }, "the server to cancel the generation", 10_000, 50);
  });
});
