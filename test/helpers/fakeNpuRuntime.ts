// A stand-in for AMD's NPU runtime servers in tests, speaking their command lines and the OpenAI
// protocol over HTTP:
//   fakeNpuRuntime.ts ryzenai-server -m <folder> --port <n> --ctx-size <n> [--mode m] [--verbose]
//   fakeNpuRuntime.ts flm serve <tag> --ctx-len <n> --port <n> --host <addr> --quiet
//   fakeNpuRuntime.ts flm --version
//   fakeNpuRuntime.ts flm list --filter installed --quiet   (the tags in FAKE_FLM_MODELS)
// It "loads" for FAKE_NPU_LOAD_MS (default 150) before it listens, then answers its readiness
// route (/health or /api/tags) and /v1/chat/completions and /v1/completions, streamed or not.
// It generates "tok0 tok1 ..." up to max_tokens (or 8 tokens, then a natural stop).
//
// Controls written anywhere in the prompt text:
//   [slow:MS]        MS milliseconds per token (default 5)
//   [die-after:N]    exit with code 3 after sending N tokens
//   [stop-after:N]   stop naturally after N tokens
// GET /test/stats reports what it did, so tests can check cancellation and the requests it got.
// FAKE_NPU_PORT_FILE: see below (a program squatting on the runtime's port).
// FAKE_FLM_MODELS (comma-separated, default "llama3.2:1b,qwen3:0.6b") lists the tags flm has pulled.
import { existsSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import path from "node:path";

interface ServeConfig {
  port: number;
  host: string;
  readyPath: string;
  model: string;
}

const [runtime, ...args] = process.argv.slice(2);

function refuse(message: string): never {
  process.stderr.write(`${runtime}: ${message}\n`);
  process.exit(1);
}

/** Reads `--name value` pairs; `flags` take no value. */
function options(list: string[], valued: Record<string, string>, flags: string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (let i = 0; i < list.length; i++) {
    const arg = list[i]!;
    if (flags.includes(arg)) continue;
    const name = valued[arg];
    if (!name) refuse(`unknown argument: ${arg}`);
    const value = list[++i];
    if (value === undefined) refuse(`missing value for ${arg}`);
    found.set(name, value);
  }
  return found;
}

function port(value: string | undefined, fallback: number): number {
  const n = Number(value ?? fallback);
  if (!Number.isInteger(n) || n < 1 || n > 65535) refuse(`invalid port: ${value}`);
  return n;
}

function ryzenAiServer(list: string[]): ServeConfig {
  const o = options(
    list,
    { "-m": "model", "--model": "model", "-p": "port", "--port": "port", "-c": "ctx", "--ctx-size": "ctx", "--mode": "mode", "--host": "host" },
    ["--verbose", "-v"],
  );
  const folder = o.get("model") ?? refuse("missing -m <model folder>");
  if (!existsSync(path.join(folder, "genai_config.json"))) refuse(`failed to load model: ${folder} has no genai_config.json`);
  const mode = o.get("mode") ?? "auto";
  if (!["auto", "npu", "hybrid", "cpu"].includes(mode)) refuse(`invalid mode: ${mode}`);
  return { port: port(o.get("port"), 8080), host: o.get("host") ?? "127.0.0.1", readyPath: "/health", model: path.basename(folder) };
}

function flm(list: string[]): ServeConfig {
  if (list[0] === "--version") {
    process.stdout.write("FLM v0.9.99 (fake)\n");
    process.exit(0);
  }
  const pulled = (process.env.FAKE_FLM_MODELS ?? "llama3.2:1b,qwen3:0.6b").split(",");
  if (list.join(" ") === "list --filter installed --quiet") {
    process.stdout.write(`Models:\n${pulled.map((tag) => `  - ${tag}\n`).join("")}`);
    process.exit(0);
  }
  if (list[0] !== "serve") refuse(`unknown command: ${list[0] ?? "(none)"}`);
  const tag = list[1];
  if (!tag || tag.startsWith("-")) refuse("usage: flm serve <model tag> [options]");
  if (!pulled.includes(tag)) refuse(`model ${tag} is not installed; run: flm pull ${tag}`);
  const o = options(list.slice(2), { "--ctx-len": "ctx", "--port": "port", "--host": "host" }, ["--quiet"]);
  return { port: port(o.get("port"), 52625), host: o.get("host") ?? "127.0.0.1", readyPath: "/api/tags", model: tag };
}

const config = runtime === "ryzenai-server" ? ryzenAiServer(args) : runtime === "flm" ? flm(args) : refuse("the first argument names the runtime: ryzenai-server or flm");

const stats = {
  pid: process.pid,
  args,
  tokensGenerated: 0,
  requestsCompleted: 0,
  requestsAborted: 0,
  active: 0,
  lastRequest: undefined as unknown,
};

interface Generation {
  chat: boolean;
  body: Record<string, unknown>;
  prompt: string;
}

function control(prompt: string, name: string): number | undefined {
  const match = new RegExp(`\\[${name}:(\\d+)\\]`).exec(prompt);
  return match ? Number(match[1]) : undefined;
}

function promptOf(chat: boolean, body: Record<string, unknown>): string | undefined {
  if (!chat) return typeof body.prompt === "string" ? body.prompt : undefined;
  if (!Array.isArray(body.messages)) return undefined;
  return (body.messages as Array<{ content?: unknown }>).map((m) => String(m.content ?? "")).join("\n");
}

async function generate(res: ServerResponse, g: Generation): Promise<void> {
  const maxTokens = typeof g.body.max_tokens === "number" ? g.body.max_tokens : Infinity;
  const count = Math.min(control(g.prompt, "stop-after") ?? 8, maxTokens);
  const finish = count === maxTokens ? "length" : "stop";
  const dieAfter = control(g.prompt, "die-after");
  const perToken = control(g.prompt, "slow") ?? 5;
  const stream = g.body.stream === true;
  const usage = { prompt_tokens: g.prompt.split(/\s+/).filter(Boolean).length, completion_tokens: count, total_tokens: 0 };
  usage.total_tokens = usage.prompt_tokens + count;
  const envelope = (choice: object) => ({
    id: "fake-1",
    object: g.chat ? (stream ? "chat.completion.chunk" : "chat.completion") : "text_completion",
    created: 0,
    model: config.model,
    choices: [{ index: 0, ...choice }],
  });
  const piece = (text: string, finishReason: string | null) =>
    envelope(g.chat ? { delta: { content: text }, finish_reason: finishReason } : { text, finish_reason: finishReason });

  let closed = false;
  res.on("close", () => {
    closed = !res.writableFinished;
  });
  stats.active++;
  try {
    if (stream) {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      if (g.chat) res.write(`data: ${JSON.stringify(envelope({ delta: { role: "assistant", content: "" }, finish_reason: null }))}\n\n`);
    }
    let text = "";
    for (let i = 0; i < count; i++) {
      await new Promise((resolve) => setTimeout(resolve, perToken));
      if (closed) {
        stats.requestsAborted++;
        return;
      }
      const token = `${i === 0 ? "" : " "}tok${i}`;
      text += token;
      stats.tokensGenerated++;
      // Flushed before a planned death, so the client sees every token sent before it.
      if (stream) await new Promise((resolve) => res.write(`data: ${JSON.stringify(piece(token, i === count - 1 ? finish : null))}\n\n`, resolve));
      if (dieAfter !== undefined && i + 1 >= dieAfter) {
        process.stderr.write(`fake ${runtime}: dying after ${i + 1} tokens as asked\n`);
        process.exit(3);
      }
    }
    const includeUsage = (g.body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    if (stream) {
      if (includeUsage) res.write(`data: ${JSON.stringify({ ...envelope({}), choices: [], usage })}\n\n`);
      res.end("data: [DONE]\n\n");
    } else {
      const whole = g.chat ? { message: { role: "assistant", content: text }, finish_reason: finish } : { text, finish_reason: finish };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ...envelope(whole), usage }));
    }
    stats.requestsCompleted++;
  } finally {
    stats.active--;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = "";
  for await (const chunk of req) body += chunk;
  return body;
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const route = `${req.method} ${req.url}`;
  if (route === `GET ${config.readyPath}`) {
    return json(res, 200, config.readyPath === "/health" ? { status: "ok", model: config.model } : { models: [{ name: config.model }] });
  }
  if (route === "GET /test/stats") return json(res, 200, stats);
  const chat = route === "POST /v1/chat/completions";
  if (!chat && route !== "POST /v1/completions") return json(res, 404, { error: { message: `no route ${route}` } });
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(await readBody(req)) as Record<string, unknown>;
  } catch {
    return json(res, 400, { error: { message: "the body is not JSON", type: "invalid_request" } });
  }
  stats.lastRequest = body;
  const prompt = promptOf(chat, body);
  if (!prompt) return json(res, 400, { error: { message: chat ? "Missing messages" : "Missing prompt", type: "invalid_request" } });
  if (runtime === "flm" && body.model !== config.model) {
    return json(res, 404, { error: { message: `model ${String(body.model)} is not loaded` } });
  }
  await generate(res, { chat, body, prompt });
}

process.stdout.write(`fake ${runtime}: loading ${config.model} (pid ${process.pid})\n`);
// FAKE_NPU_PORT_FILE: write the port given to that file and never listen, so that a test can take
// the port first, as a squatting program would.
if (process.env.FAKE_NPU_PORT_FILE) {
  writeFileSync(process.env.FAKE_NPU_PORT_FILE, String(config.port));
  setInterval(() => {}, 60_000);
} else setTimeout(() => {
  createServer((req, res) => void handle(req, res))
    .on("error", (err) => refuse(`cannot listen on ${config.host}:${config.port}: ${err.message}`))
    .listen(config.port, config.host, () => process.stdout.write(`fake ${runtime}: serving on ${config.host}:${config.port}\n`));
}, Number(process.env.FAKE_NPU_LOAD_MS ?? 150));
