// npm run bench:completions: replays a typing session (a real source file of this repository typed
// in bursts with pauses, sometimes typing along a suggestion) through the extension's Completer
// against `squeeze serve` on the Qwen2.5-0.5B-shaped model, in real time, inside files of 1k, 10k and
// 50k lines, and once more in the 10k-line file while chats stream on the same server (and the same
// session against llama.cpp's llama-server when SQUEEZE_BENCH_LLAMA_SERVER names one). Prints the
// latency from keystroke to suggestion (p50, p95) of the suggestions the model answered as its
// headline, beside the share the cache answered, and the latency of all of them, prompt tokens
// evaluated per request, and the share of prompt tokens reused from the KV cache.
import { readFileSync } from "node:fs";
import path from "node:path";
import { ApiClient } from "../../src/editor/apiClient";
import { Completer, type CompletionReport } from "../../src/editor/completions/completer";
import { SUFFIX_CHARS, WINDOW_STEP } from "../../src/editor/completions/completionRules";
import { delay } from "../../src/core/util/delay";
import { Rng } from "../fixtures/rng";
import { QWEN05, ROOT } from "../helpers/paths";
import { startSqueeze } from "../helpers/squeezeProcess";
import { startLlamaServer } from "./llamaServer";
import { median, percentile, rotate } from "./stats";
import { streamRequest } from "./streamRequest";

const SOURCE = path.join(ROOT, "src/editor/serverHost.ts");
const PADDING = ["src/core/store/pull.ts", "src/core/engine/engineHost.ts", "src/core/server/app.ts"].map((f) => readFileSync(path.join(ROOT, f), "utf8"));
const TYPED_CHARS = Number(process.env.BENCH_TYPED_CHARS ?? 240);
const DEBOUNCE_MS = Number(process.env.BENCH_DEBOUNCE_MS ?? 150);
/** Characters after the cursor sent with each request (the completer's default unless set). */
const SUFFIX = Number(process.env.BENCH_SUFFIX_CHARS ?? SUFFIX_CHARS);
const SIZES = [1_000, 10_000, 50_000];
/** The file size of the session replayed while chats stream. */
const BESIDE_CHAT_LINES = 10_000;
/** How long chats stream alone first, for their speed without the typing. */
const CHAT_ALONE_MS = 8_000;
// The same keystrokes in every file size, so that only the size differs between rows.
const SESSION_SEED = 1000;

interface Keystroke {
  /** Milliseconds to wait before this key. */
  delayMs: number;
  /** What the key types: a character of the file, or "along" (the next character of the suggestion shown). */
  key: string | "along";
}

/** Bursts of 2–10 keys 40–110 ms apart, pauses of 0.4–1.5 s; after half the pauses, 1–3 keys typed along the suggestion. */
function session(text: string, seed: number): Keystroke[] {
  const rng = new Rng(seed);
  const between = (lo: number, hi: number) => lo + Math.floor(rng.nextFloat() * (hi - lo + 1));
  const keys: Keystroke[] = [];
  let i = 0;
  while (i < text.length) {
    const burst = between(2, 10);
    for (let k = 0; k < burst && i < text.length; k++, i++) keys.push({ delayMs: k === 0 ? between(400, 1500) : between(40, 110), key: text[i]! });
    if (rng.nextFloat() < 0.5) for (let k = between(1, 3); k > 0; k--) keys.push({ delayMs: between(150, 300), key: "along" });
  }
  return keys;
}

/**
 * A document of about `lines` lines with the typed region cut out of the source at its middle.
 * The padding above it ends with the same text in every size and is cut to whole WINDOW_STEPs,
 * so the prompt window (anchored in those steps) is the same: only the file's size differs.
 */
function documentOf(lines: number): { before: string; typed: string; after: string } {
  const source = readFileSync(SOURCE, "utf8");
  const start = source.indexOf("\n", Math.floor(source.length / 2)) + 1;
  const typed = source.slice(start, start + TYPED_CHARS);
  // Files are added in front, so the padding ends with the same text whatever its length.
  const pad = (n: number) => {
    let out = "";
    for (let k = 0; out.split("\n").length < n; k++) out = PADDING[k % PADDING.length] + out;
    return out;
  };
  const sourceLines = source.split("\n").length;
  const half = Math.max(0, Math.floor((lines - sourceLines) / 2));
  const above = pad(half);
  return { before: above.slice(above.length % WINDOW_STEP) + source.slice(0, start), typed, after: source.slice(start + TYPED_CHARS) + pad(half) };
}

interface Run {
  /** Keystroke to suggestion, for each suggestion shown, with where it came from. */
  latencies: { ms: number; source: "cache" | "server" }[];
  reports: CompletionReport[];
  keystrokes: number;
  /** The warm-up when the file opens (the editor sends it; the person starts typing after it). */
  warmUpMs: number;
}

async function replay(client: ApiClient, model: string, lines: number): Promise<Run> {
  const reports: CompletionReport[] = [];
  const completer = new Completer(() => client, () => model, { debounceMs: () => DEBOUNCE_MS, onBattery: () => false }, (r) => reports.push(r), SUFFIX);
  const { before, typed, after } = documentOf(lines);
  let text = before + after;
  let cursor = before.length;
  let shown: string | undefined;
  let pending: Promise<unknown> = Promise.resolve();
  let current: AbortController | undefined;
  const latencies: Run["latencies"] = [];
  const keys = session(typed, SESSION_SEED);
  const opened = performance.now();
  await completer.warmUp(path.basename(SOURCE), text, cursor);
  const warmUpMs = performance.now() - opened;
  for (const { delayMs, key } of keys) {
    await delay(delayMs);
    // A person types along only a suggestion they see: wait for the one on its way.
    if (key === "along") await pending;
    const char = key === "along" ? shown?.[0] : key;
    if (char === undefined) continue;
    current?.abort();
    text = text.slice(0, cursor) + char + text.slice(cursor);
    cursor++;
    shown = undefined;
    const controller = new AbortController();
    current = controller;
    const pressed = performance.now();
    pending = completer.complete(path.basename(SOURCE), text, cursor, controller.signal).then((suggestion) => {
      if (!suggestion || controller.signal.aborted) return;
      latencies.push({ ms: performance.now() - pressed, source: suggestion.source });
      shown = suggestion.text;
    });
  }
  current?.abort();
  return { latencies, reports, keystrokes: keys.length, warmUpMs };
}

/** A server the typing session is replayed against, through the same completer. */
interface Target {
  name: string;
  url: string;
  model: string;
  stop(): Promise<void>;
}

export async function benchCompletions(): Promise<void> {
  const anchor = process.env.SQUEEZE_BENCH_LLAMA_SERVER;
  const squeeze = await startSqueeze(["--model", QWEN05]);
  const targets: Target[] = [{ name: "Squeeze", url: squeeze.url, model: squeeze.modelId, stop: async () => void (await squeeze.stop()) }];
  try {
    if (anchor) {
      // As llama.vscode asks llama-server to run: one slot, its cache reuse on, flash attention.
      const server = await startLlamaServer(anchor, ["-c", "8192", "-np", "1", "-fa", "on", "--cache-reuse", "256"]);
      targets.push({ name: "llama-server", url: server.url, model: "qwen05", stop: () => server.stop() });
    }
    console.log(
      `model ${squeeze.modelId}; ${TYPED_CHARS} characters of ${path.relative(ROOT, SOURCE)} typed in real time per file size; debounce ${DEBOUNCE_MS} ms; suffix ${SUFFIX} characters; ` +
        (anchor ? `the same session through the same completer against llama-server (${anchor}, -np 1 --cache-reuse 256), the servers taking turns per file size\n` : "set SQUEEZE_BENCH_LLAMA_SERVER to replay it against llama-server too\n"),
    );
    const runs = new Map<Target, Run[]>(targets.map((t) => [t, []]));
    for (const [i, lines] of SIZES.entries()) {
      for (const target of rotate(targets, i)) runs.get(target)!.push(await replay(new ApiClient(target.url), target.model, lines));
    }
    const headlines = targets.map((target) => report(target.name, runs.get(target)!));
    if (headlines.length === 2) console.log(`\nSqueeze against llama-server, p50 of the model's answers: ${(headlines[0]! / headlines[1]!).toFixed(2)}x its time`);
    await besideChats(squeeze.url, squeeze.modelId);
    console.log("targets on 2 cores: the model's answers p50 ≤ 350 ms and p95 ≤ 650 ms, ≤ 12 prompt tokens evaluated per request, ≥ 95% of prompt tokens reused");
  } finally {
    for (const target of targets) await target.stop();
  }
}

/**
 * The session once more while chats stream one after another on the same server (another tool, or
 * the chat view, answering beside the typing), and the chats' speed with and without it. Squeeze
 * only: llama-server run as llama.vscode runs it has one slot, so its chat would wait.
 */
async function besideChats(url: string, model: string): Promise<void> {
  const alone = streamChats(url, model);
  await delay(CHAT_ALONE_MS);
  const aloneRate = await alone.stop();
  const beside = streamChats(url, model);
  const run = await replay(new ApiClient(url), model, BESIDE_CHAT_LINES);
  const besideRate = await beside.stop();
  console.log(`### Squeeze, chats streaming beside the typing\n`);
  console.log(TABLE_HEAD);
  console.log(row(`${BESIDE_CHAT_LINES}, chats streaming`, run));
  console.log(
    `\nheadline (beside chats): suggestions answered by the model, from keystroke (debounce included): ${modelAnswers(run)}; ` +
      `the chats decoded ${besideRate.toFixed(1)} tokens/s meanwhile, ${aloneRate.toFixed(1)} alone (${(besideRate / aloneRate).toFixed(2)}x)\n`,
  );
}

/** Chats streamed one after another until stopped; stop() gives the tokens per second they streamed. */
function streamChats(url: string, model: string): { stop(): Promise<number> } {
  const controller = new AbortController();
  const started = performance.now();
  let tokens = 0;
  const loop = (async () => {
    for (let n = 0; !controller.signal.aborted; n++) {
      const body = { model, messages: [{ role: "user", content: `Chat ${n}: tell me the history of computing, from the abacus to the present day.` }], max_tokens: 512, temperature: 0, stream: true };
      await streamRequest(`${url}/v1/chat/completions`, body, controller.signal, () => tokens++);
    }
  })();
  return {
    async stop() {
      controller.abort();
      await loop;
      return (tokens * 1000) / (performance.now() - started);
    },
  };
}

const TABLE_HEAD = [
  "| file lines | keystrokes | suggestions | answered by the model: p50 ms | p95 ms | answered by the cache | all suggestions: p50 ms | p95 ms | prompt tokens evaluated per request (median, p95) | prompt tokens reused | tokens generated per request (median) | answers taken over from a request in flight |",
  "|---|---|---|---|---|---|---|---|---|---|---|---|",
].join("\n");

/** Prints one server's table and headline; returns the p50 of the model's answers. */
function report(name: string, all: Run[]): number {
  // The suggestions the model answers lead: the cache's answers take a millisecond and would hide them.
  console.log(`### ${name}\n`);
  console.log(TABLE_HEAD);
  all.forEach((run, i) => console.log(row(String(SIZES[i]), run)));
  const total: Run = { latencies: all.flatMap((r) => r.latencies), reports: all.flatMap((r) => r.reports), keystrokes: all.reduce((n, r) => n + r.keystrokes, 0), warmUpMs: NaN };
  console.log(row("all", total));
  // Cache hits answer in about a millisecond whatever the file, so flatness is judged on the server's answers.
  const p50s = all.map((r) => percentile(serverMs(r), 50));
  console.log(`\nwarm-up when each file opens (not in the latencies): ${all.map((r) => r.warmUpMs.toFixed(0)).join(", ")} ms`);
  console.log(`p50 of the server's answers across file sizes: ${p50s.map((p) => p.toFixed(0)).join(", ")} ms, spread ${(((Math.max(...p50s) - Math.min(...p50s)) / Math.min(...p50s)) * 100).toFixed(0)}% (target within 20%)`);
  const fromServer = serverMs(total);
  const cacheShare = (100 * (total.latencies.length - fromServer.length)) / Math.max(1, total.latencies.length);
  console.log(`\nheadline (${name}): suggestions answered by the model, from keystroke (debounce included): ${modelAnswers(total)}; ${cacheShare.toFixed(0)}% of suggestions came from the cache instead\n`);
  return percentile(fromServer, 50);
}

const serverMs = (run: Run) => run.latencies.filter((l) => l.source === "server").map((l) => l.ms);

/** The headline: p50 and p95 of the suggestions the model answered. */
const modelAnswers = (run: Run) => `p50 ${percentile(serverMs(run), 50).toFixed(0)} ms, p95 ${percentile(serverMs(run), 95).toFixed(0)} ms`;

function row(label: string, run: Run): string {
  // A request's own report carries its counts; an answer taken over from an earlier request does not.
  const server = run.reports.filter((r) => r.source === "server" && !r.takenOver);
  const hits = run.reports.filter((r) => r.source === "cache").length;
  const prompt = server.reduce((n, r) => n + (r.promptTokens ?? 0), 0);
  const cached = server.reduce((n, r) => n + (r.cachedTokens ?? 0), 0);
  const perRequest = server.map((r) => (r.promptTokens ?? 0) - (r.cachedTokens ?? 0));
  const evaluated = `${median(perRequest)}, ${percentile(perRequest, 95)}`;
  const generated = median(server.map((r) => r.completionTokens ?? 0));
  const ms = run.latencies.map((l) => l.ms);
  const fromServer = serverMs(run);
  return `| ${label} | ${run.keystrokes} | ${run.latencies.length} | ${percentile(fromServer, 50).toFixed(0)} | ${percentile(fromServer, 95).toFixed(0)} | ${hits} of ${run.reports.length} (${((100 * hits) / Math.max(1, run.reports.length)).toFixed(0)}%) | ${percentile(ms, 50).toFixed(0)} | ${percentile(ms, 95).toFixed(0)} | ${evaluated} | ${((100 * cached) / Math.max(1, prompt)).toFixed(1)}% | ${generated} | ${run.reports.filter((r) => r.takenOver).length} |`;
}
