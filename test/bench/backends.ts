// ONNX Runtime (int4 MatMulNBits) against llama.cpp (Q4_0) on the Qwen2.5-0.5B shape, both
// through Squeeze's engine worker as the server runs them: prompt tok/s on a 512-token prompt
// and decode tok/s after prompts of 16, 512 and 2048 tokens. The two engines take turns run by
// run (order rotating) and each figure is the median of BENCH_CONTEXT_RUNS runs.
import { EngineHost } from "../../src/core/engine/engineHost";
import type { BackendName } from "../../src/core/protocol/types";
import { QWEN05, QWEN05_ONNX, WORKER } from "../helpers/paths";
import { median, rotate, sample, type Sample } from "./stats";

const RUNS = Number(process.env.BENCH_CONTEXT_RUNS ?? 5);
const DECODE_TOKENS = Number(process.env.BENCH_DECODE_TOKENS ?? 64);
const CONTEXTS = [16, 512, 2048];
const CONTEXT_SIZE = Math.max(...CONTEXTS) + DECODE_TOKENS + 64;
const TEXT = "The history of computing began long before electronic machines, with people who counted by hand. ";

interface Engine {
  label: string;
  backend: BackendName;
  host: EngineHost;
}

interface ContextSample extends Sample {
  promptTokens: number;
}

/** A prompt of about `tokens` tokens whose first token differs per run, so no run reuses a cache. */
async function promptOf(host: EngineHost, tokens: number, run: number): Promise<string> {
  let text = `${run}: `;
  while ((await host.tokenize({ text: text + TEXT })).length <= tokens) text += TEXT;
  for (const word of TEXT.split(" ")) {
    if ((await host.tokenize({ text: text + word + " " })).length > tokens) break;
    text += word + " ";
  }
  return text;
}

async function runOnce(host: EngineHost, prompt: string): Promise<ContextSample> {
  const stamps: number[] = [];
  let tokens = 0;
  let promptTokens = 0;
  const start = performance.now();
  for await (const event of host.complete(prompt, { maxTokens: DECODE_TOKENS, temperature: 0 })) {
    if (event.type === "text" && event.tokens > 0) stamps.push(performance.now());
    if (event.type === "done") ({ completionTokens: tokens, promptTokens } = event.usage);
  }
  return { ...sample(start, stamps, tokens), promptTokens };
}

export async function benchBackends(): Promise<void> {
  console.log(
    `Qwen2.5-0.5B shape: onnx int4 vs llama.cpp Q4_0 through the engine worker, ${DECODE_TOKENS} tokens per run, ` +
      `contexts ${CONTEXTS.join(", ")}, ${RUNS} runs each (plus one warm-up), rotating`,
  );
  const engines: Engine[] = [];
  try {
    for (const [label, backend, path] of [["onnx int4", "onnx", QWEN05_ONNX], ["llama.cpp Q4_0", "llama.cpp", QWEN05]] as const) {
      const host = new EngineHost({ workerPath: WORKER });
      engines.push({ label, backend, host });
      const info = await host.load({ id: label, path, backend, contextSize: CONTEXT_SIZE, gpu: false });
      console.log(`  ${label}: ${info.runtime}`);
    }
    const results = new Map<string, ContextSample[]>();
    const key = (e: Engine, context: number) => `${e.label}@${context}`;
    for (const context of CONTEXTS) {
      for (let i = 0; i <= RUNS; i++) {
        const prompt = await promptOf(engines[0].host, context, i);
        for (const engine of rotate(engines, i)) {
          const s = await runOnce(engine.host, prompt);
          if (s.tokens !== DECODE_TOKENS) throw new Error(`${engine.label} generated ${s.tokens} tokens, expected ${DECODE_TOKENS}`);
          if (i > 0) results.set(key(engine, context), [...(results.get(key(engine, context)) ?? []), s]);
          console.log(
            `  ${i === 0 ? "warm-up" : `run ${i}`} ctx ${context} ${engine.label.padEnd(14)} prompt ${s.promptTokens} tok in ` +
              `${s.ttftMs.toFixed(0)} ms, decode ${s.decodeTps.toFixed(1)} tok/s`,
          );
        }
      }
    }

    const decode = (e: Engine, context: number) => median(results.get(key(e, context))!.map((s) => s.decodeTps));
    const promptTps = (e: Engine) => median(results.get(key(e, 512))!.map((s) => (s.promptTokens * 1000) / s.ttftMs));
    console.log("\n| engine | prompt tok/s (512) | " + CONTEXTS.map((c) => `decode tok/s @${c}`).join(" | ") + " | decode @2048 / @16 |");
    console.log("|---|---:|" + CONTEXTS.map(() => "---:|").join("") + "---:|");
    for (const e of engines) {
      const cells = CONTEXTS.map((c) => decode(e, c).toFixed(1));
      const kept = (decode(e, 2048) / decode(e, 16)) * 100;
      console.log(`| ${e.label} | ${promptTps(e).toFixed(0)} | ${cells.join(" | ")} | ${kept.toFixed(0)}% |`);
    }
    const [onnx, llama] = engines;
    const faster = CONTEXTS.map((c) => `@${c} ${decode(onnx, c) >= decode(llama, c) ? "met" : "MISSED"}`);
    const kept = decode(onnx, 2048) / decode(onnx, 16);
    console.log(`\ntargets: onnx decode >= llama.cpp decode: ${faster.join(", ")}; onnx decode @2048 >= 80% of @16: ${kept >= 0.8 ? "met" : "MISSED"}`);
  } finally {
    for (const e of engines) await e.host.dispose();
  }
}
