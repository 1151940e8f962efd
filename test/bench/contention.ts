// Several clients at once on qwen05-q4_0.gguf: one chat, a fill-in-the-middle request alone and
// while a chat streams, four chats at once, and sixteen requests at once; through `squeeze serve`,
// and through llama.cpp's own llama-server beside it when SQUEEZE_BENCH_LLAMA_SERVER names one
// (../shared/tools/build-llama-anchor.sh builds it from node-llama-cpp's own llama.cpp source).
// The servers take turns round by round; medians of BENCH_CONTENTION_ROUNDS rounds.
import { QWEN05 } from "../helpers/paths";
import { startSqueeze } from "../helpers/squeezeProcess";
import { startLlamaServer } from "./llamaServer";
import { median, rotate } from "./stats";
import { type Streamed, streamRequest } from "./streamRequest";

const ROUNDS = Number(process.env.BENCH_CONTENTION_ROUNDS ?? 5);
const CHAT_TOKENS = Number(process.env.BENCH_CHAT_TOKENS ?? 128);
/** Per sequence, as llama-server's -c 16384 -np 4 gives each of its four slots. */
const CONTEXT = 4096;
const FIM_TOKENS = 16;
const PARALLEL = 4;

interface Server {
  name: string;
  url: string;
  chatBody(prompt: string, maxTokens: number): object;
  /** A fill-in-the-middle request and the route that takes it. */
  fim(prefix: string, suffix: string): { route: string; body: object };
  stop(): Promise<void>;
}

async function squeezeServer(): Promise<Server> {
  const squeeze = await startSqueeze(["--model", QWEN05, "--ctx-size", String(CONTEXT), "--parallel", String(PARALLEL)]);
  return {
    name: "Squeeze",
    url: squeeze.url,
    chatBody: (prompt, maxTokens) => chatRequest(squeeze.modelId, prompt, maxTokens),
    fim: (prefix, suffix) => ({
      route: "/v1/completions",
      body: { model: squeeze.modelId, prompt: prefix, suffix, max_tokens: FIM_TOKENS, temperature: 0, stream: true, stream_options: { include_usage: true } },
    }),
    stop: async () => void (await squeeze.stop()),
  };
}

async function llamaServer(binary: string): Promise<Server> {
  const server = await startLlamaServer(binary, ["-c", String(CONTEXT * PARALLEL), "-np", String(PARALLEL), "-fa", "on"]);
  const url = server.url;
  return {
    name: "llama-server",
    url,
    chatBody: (prompt, maxTokens) => chatRequest("qwen05", prompt, maxTokens),
    // The model's own FIM tokens through /v1/completions, the prompt Squeeze builds: llama-server's
    // /infill here waits until every slot is idle, which would measure that, not the batching.
    fim: (prefix, suffix) => ({
      route: "/v1/completions",
      body: { prompt: `<|fim_prefix|>${prefix}<|fim_suffix|>${suffix}<|fim_middle|>`, max_tokens: FIM_TOKENS, temperature: 0, stream: true },
    }),
    stop: () => server.stop(),
  };
}

function chatRequest(model: string, prompt: string, maxTokens: number): object {
  return { model, messages: [{ role: "user", content: prompt }], max_tokens: maxTokens, temperature: 0, stream: true, stream_options: { include_usage: true } };
}

const chatPrompt = (round: number, client: number) => `Round ${round}, client ${client}: tell me the history of computing, from the abacus to the present day.`;

/** About a hundred tokens, the size of an editor's request near the top of a file. */
function fimPrompt(round: number): { prefix: string; suffix: string } {
  const body = Array.from({ length: 4 }, (_, i) => `  const value${i} = compute(input, ${i});\n  if (value${i} > limit) return value${i};`).join("\n");
  return { prefix: `// round ${round}\nfunction search(input, limit) {\n${body}\n  return `, suffix: ";\n}\n" };
}

const decodeTps = (s: Streamed) => (s.stamps.length > 1 ? ((s.tokens - 1) * 1000) / (s.stamps.at(-1)! - s.stamps[0]) : NaN);
const ttft = (s: Streamed) => (s.stamps[0] ?? NaN) - s.start;

interface Round {
  chatTps: number;
  chatTtftMs: number;
  fimAloneMs: number;
  fimDuringChatMs: number;
  fourTotalTps: number;
  fourSlowestTtftMs: number;
  sixteenServed: number;
}

async function round(server: Server, n: number): Promise<Round> {
  const post = (route: string, body: object, signal?: AbortSignal, onText?: (events: number) => void) =>
    streamRequest(`${server.url}${route}`, body, signal, onText);
  const one = await post("/v1/chat/completions", server.chatBody(chatPrompt(n, 0), CHAT_TOKENS));

  const { prefix, suffix } = fimPrompt(n);
  const single = server.fim(prefix, suffix);
  const alone = await post(single.route, single.body);

  // The same kind of request (another round's text, so nothing is cached) while a long chat streams.
  // Sent once the chat is decoding (its prompt evaluated, a few tokens out).
  const controller = new AbortController();
  let decoding!: () => void;
  const started = new Promise<void>((resolve) => (decoding = resolve));
  const chat = post("/v1/chat/completions", server.chatBody(chatPrompt(n, 1), 2000), controller.signal, (events) => events >= 8 && decoding());
  let chatEnded = false;
  void chat.then(() => (chatEnded = true));
  await Promise.race([started, chat]);
  const other = fimPrompt(n + 1000);
  const fim = server.fim(other.prefix, other.suffix);
  const during = await post(fim.route, fim.body);
  const chatStillStreaming = !chatEnded;
  controller.abort();
  await chat;
  if (!chatStillStreaming) throw new Error(`${server.name}: the chat ended before the completion did, so it measured nothing`);

  const four = await Promise.all(Array.from({ length: 4 }, (_, i) => post("/v1/chat/completions", server.chatBody(chatPrompt(n, 10 + i), CHAT_TOKENS))));
  const fourStart = Math.min(...four.map((s) => s.start));
  const fourEnd = Math.max(...four.map((s) => s.end));
  const fourTokens = four.reduce((sum, s) => sum + s.tokens, 0);

  const sixteen = await Promise.all(Array.from({ length: 16 }, (_, i) => post("/v1/chat/completions", server.chatBody(chatPrompt(n, 100 + i), 16))));

  return {
    chatTps: decodeTps(one),
    chatTtftMs: ttft(one),
    fimAloneMs: alone.end - alone.start,
    fimDuringChatMs: during.end - during.start,
    fourTotalTps: (fourTokens * 1000) / (fourEnd - fourStart),
    fourSlowestTtftMs: Math.max(...four.map(ttft)),
    sixteenServed: sixteen.filter((s) => s.status === 200).length,
  };
}

export async function benchContention(): Promise<void> {
  const anchor = process.env.SQUEEZE_BENCH_LLAMA_SERVER;
  console.log(
    `qwen05-q4_0.gguf, ${ROUNDS} rounds (servers taking turns), chats of ${CHAT_TOKENS} tokens, FIM of ${FIM_TOKENS}, ` +
      `${PARALLEL} parallel sequences of ${CONTEXT} tokens${anchor ? `; llama-server: ${anchor}` : "; set SQUEEZE_BENCH_LLAMA_SERVER to compare with llama-server"}`,
  );
  const servers = [await squeezeServer(), ...(anchor ? [await llamaServer(anchor)] : [])];
  const rounds = new Map<string, Round[]>(servers.map((s) => [s.name, []]));
  try {
    for (let n = 0; n <= ROUNDS; n++) {
      for (const server of rotate(servers, n)) {
        const r = await round(server, n);
        if (n > 0) rounds.get(server.name)!.push(r);
        console.log(`  ${n === 0 ? "warm-up" : `round ${n}`} ${server.name}: ${JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v * 10) / 10])))}`);
      }
    }
  } finally {
    for (const server of servers) await server.stop();
  }
  report(servers.map((s) => s.name), rounds);
}

function report(names: string[], rounds: Map<string, Round[]>): void {
  const m = (name: string, pick: (r: Round) => number) => median(rounds.get(name)!.map(pick));
  const rows: [string, (name: string) => string][] = [
    ["one chat: decode tokens/s", (n) => m(n, (r) => r.chatTps).toFixed(1)],
    ["one chat: time to first token", (n) => `${m(n, (r) => r.chatTtftMs).toFixed(0)} ms`],
    ["a fill-in-the-middle request, alone", (n) => `${m(n, (r) => r.fimAloneMs).toFixed(0)} ms`],
    ["the same while a chat answer streams", (n) => `${m(n, (r) => r.fimDuringChatMs).toFixed(0)} ms (${m(n, (r) => r.fimDuringChatMs / r.fimAloneMs).toFixed(2)}x)`],
    ["four chats at once: total tokens/s", (n) => `${m(n, (r) => r.fourTotalTps).toFixed(1)} (${m(n, (r) => r.fourTotalTps / r.chatTps).toFixed(2)}x one)`],
    ["four chats at once: slowest first token", (n) => `${m(n, (r) => r.fourSlowestTtftMs).toFixed(0)} ms`],
    ["sixteen requests at once: served", (n) => `${m(n, (r) => r.sixteenServed)} of 16`],
  ];
  console.log(`\n| | ${names.join(" | ")} |`);
  console.log(`|---|${names.map(() => "---:").join("|")}|`);
  for (const [label, cell] of rows) console.log(`| ${label} | ${names.map(cell).join(" | ")} |`);
  if (names.length < 2) return;
  // Ratios to llama-server, each taken in the same round.
  const [ours, theirs] = [rounds.get(names[0])!, rounds.get(names[1])!];
  const paired = (pick: (r: Round) => number) => median(ours.map((r, i) => pick(r) / pick(theirs[i])));
  const chat = paired((r) => r.chatTps);
  const four = paired((r) => r.fourTotalTps);
  const during = m(names[0], (r) => r.fimDuringChatMs / r.fimAloneMs);
  console.log(`\ntargets: one chat's decode >= 0.9x llama-server: ${chat.toFixed(2)}x ${chat >= 0.9 ? "met" : "MISSED"}; ` +
    `four chats' total >= 0.9x: ${four.toFixed(2)}x ${four >= 0.9 ? "met" : "MISSED"}; ` +
    `a completion during a chat <= 1.3x alone: ${during.toFixed(2)}x ${during <= 1.3 ? "met" : "MISSED"}`);
}
