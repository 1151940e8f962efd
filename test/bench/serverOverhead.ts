// Squeeze's own overhead: decode speed and time to first token on qwen05-q4_0.gguf, through the
// Squeeze HTTP server (SSE streaming, a real `squeeze serve` process) next to node-llama-cpp
// called directly in this process, and the engine's worker without HTTP in between, taking
// turns run by run; medians of BENCH_RUNS runs.
// The machine is noisy (shared cores), so the verdict uses paired runs: each run is
// compared with the direct run of the same round, and the median of those pairs is reported.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { openLlama, configureOpenMp } from "../../src/core/backends/llamacpp/llamaRuntime";
import { EngineHost } from "../../src/core/engine/engineHost";
import { QWEN05, WORKER } from "../helpers/paths";
import { startSqueeze } from "../helpers/squeezeProcess";
import { median, rotate, sample, type Sample } from "./stats";
import { streamRequest } from "./streamRequest";

const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const MAX_TOKENS = Number(process.env.BENCH_TOKENS ?? 128);
const CONTEXT = 2048;
const PROMPT = "The history of computing began long before electronic machines, with people who";

type Runner = (prompt: string) => Promise<Sample>;

async function directRunner(): Promise<{ run: Runner; dispose(): Promise<void> }> {
  const { LlamaCompletion } = await import("node-llama-cpp");
  // The same binary and settings the Squeeze backend uses (the engine host sets OpenMP's up the same way).
  configureOpenMp();
  const llama = await openLlama("auto");
  console.log(`llama.cpp binary: ${llama.buildType === "localBuild" ? "local build (npm run build:llama)" : "node-llama-cpp's prebuilt"}, GPU ${llama.gpu || "none"}`);
  const model = await llama.loadModel({ modelPath: QWEN05, gpuLayers: "auto" });
  const context = await model.createContext({ contextSize: CONTEXT, flashAttention: "auto", threads: llama.cpuMathCores });
  const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
  return {
    async run(prompt) {
      const stamps: number[] = [];
      let tokens = 0;
      const start = performance.now();
      await completion.generateCompletion(prompt, {
        maxTokens: MAX_TOKENS,
        temperature: 0,
        // As the server runs a request that asks for no penalty.
        repeatPenalty: false,
        onToken: (t) => {
          stamps.push(performance.now());
          tokens += t.length;
        },
      });
      return sample(start, stamps, tokens);
    },
    async dispose() {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}

/** The engine host and its worker, as the server uses them, without HTTP: separates the two costs. */
async function engineRunner(): Promise<{ run: Runner; dispose(): Promise<void> }> {
  const engine = new EngineHost({ workerPath: WORKER });
  await engine.load({ id: "qwen05", path: QWEN05, backend: "llama.cpp", contextSize: CONTEXT });
  return {
    async run(prompt) {
      const stamps: number[] = [];
      let tokens = 0;
      const start = performance.now();
      for await (const event of engine.complete(prompt, { maxTokens: MAX_TOKENS, temperature: 0 })) {
        if (event.type === "text" && event.text) stamps.push(performance.now());
        if (event.type === "done") tokens = event.usage.completionTokens;
      }
      return sample(start, stamps, tokens);
    },
    dispose: () => engine.dispose(),
  };
}

async function serverRunner(): Promise<{ run: Runner; dispose(): Promise<void> }> {
  const squeeze = await startSqueeze(["--model", QWEN05, "--ctx-size", String(CONTEXT)]);
  return {
    async run(prompt) {
      const body = { model: squeeze.modelId, prompt, max_tokens: MAX_TOKENS, temperature: 0, stream: true, stream_options: { include_usage: true } };
      const streamed = await streamRequest(`${squeeze.url}/v1/completions`, body);
      if (streamed.status !== 200) throw new Error(`server answered ${streamed.status}`);
      return sample(streamed.start, streamed.stamps, streamed.tokens);
    },
    async dispose() {
      await squeeze.stop();
    },
  };
}

type Path = "direct" | "engine" | "server";

const LABELS: Record<Path, string> = {
  direct: "node-llama-cpp direct",
  engine: "Squeeze engine in process (worker thread, no HTTP)",
  server: "Squeeze HTTP server (SSE)",
};

export async function benchServerOverhead(): Promise<void> {
  console.log(`qwen05-q4_0.gguf, ${MAX_TOKENS} tokens per run, context ${CONTEXT}, ${RUNS} runs each (plus one warm-up), rotating`);
  const runners: Record<Path, { run: Runner; dispose(): Promise<void> }> = {
    direct: await directRunner(),
    engine: await engineRunner(),
    server: await serverRunner(),
  };
  const paths = Object.keys(runners) as Path[];
  const results: Record<Path, Sample[]> = { direct: [], engine: [], server: [] };
  try {
    for (let i = 0; i <= RUNS; i++) {
      // A different first word each run: no run reuses the previous run's prompt cache.
      const prompt = `Run ${i}. ${PROMPT}`;
      // Which path goes first rotates too.
      for (const name of rotate(paths, i)) {
        const s = await runners[name].run(prompt);
        if (s.tokens !== MAX_TOKENS) throw new Error(`${name} generated ${s.tokens} tokens, expected ${MAX_TOKENS}`);
        if (i > 0) results[name].push(s);
        process.stdout.write(
          `  ${i === 0 ? "warm-up" : `run ${i}`} ${name.padEnd(6)} ttft ${s.ttftMs.toFixed(1)} ms, decode ${s.decodeTps.toFixed(1)} tok/s\n`,
        );
      }
    }
  } finally {
    for (const runner of Object.values(runners)) await runner.dispose();
  }

  const signed = (n: number) => `${n >= 0 ? "+" : ""}${n.toFixed(1)}`;
  /** Each run against the direct run of the same round. */
  const versusDirect = (path: Path) => ({
    ratio: median(results[path].map((s, i) => (s.decodeTps / results.direct[i].decodeTps) * 100)),
    overhead: median(results[path].map((s, i) => s.ttftMs - results.direct[i].ttftMs)),
  });
  console.log("\n| path | TTFT ms (median) | decode tok/s (median) | TTFT vs direct (paired median) | decode vs direct (paired median) |");
  console.log("|---|---:|---:|---:|---:|");
  for (const path of paths) {
    const ttft = median(results[path].map((s) => s.ttftMs)).toFixed(1);
    const decode = median(results[path].map((s) => s.decodeTps)).toFixed(1);
    const vs = versusDirect(path);
    const relative = path === "direct" ? "| | |" : `| ${signed(vs.overhead)} ms | ${vs.ratio.toFixed(1)}% |`;
    console.log(`| ${LABELS[path]} | ${ttft} | ${decode} ${relative}`);
  }
  await llamaBenchFigure(median(results.direct.map((s) => s.decodeTps)));
  const { ratio, overhead } = versusDirect("server");
  console.log(
    `\ntargets (server vs direct): decode >= 97%: ${ratio >= 97 ? "met" : "MISSED"}; TTFT overhead <= 10 ms: ${overhead <= 10 ? "met" : "MISSED"}`,
  );
}


/**
 * llama.cpp's own llama-bench on the same model, where SQUEEZE_BENCH_LLAMA_BENCH names it (or a
 * llama-server named by SQUEEZE_BENCH_LLAMA_SERVER has one beside it): the speed node-llama-cpp's
 * decode could reach on this machine.
 */
async function llamaBenchFigure(directTps: number): Promise<void> {
  const server = process.env.SQUEEZE_BENCH_LLAMA_SERVER;
  const binary = process.env.SQUEEZE_BENCH_LLAMA_BENCH ?? (server && path.join(path.dirname(server), "llama-bench"));
  if (!binary || !existsSync(binary)) return void console.log("\n(set SQUEEZE_BENCH_LLAMA_BENCH to compare with llama.cpp's llama-bench)");
  const threads = Math.min(os.availableParallelism(), 8);
  const { stdout } = await promisify(execFile)(binary, ["-m", QWEN05, "-t", String(threads), "-fa", "1", "-p", "0", "-n", String(MAX_TOKENS), "-r", "5", "-o", "json"], {
    env: { ...process.env, LD_LIBRARY_PATH: [path.dirname(binary), process.env.LD_LIBRARY_PATH].filter(Boolean).join(":") },
  });
  const [result] = JSON.parse(stdout) as { avg_ts: number }[];
  console.log(`\nllama-bench (${threads} threads, flash attention, tg${MAX_TOKENS}): ${result.avg_ts.toFixed(1)} tok/s; node-llama-cpp direct is ${((directTps / result.avg_ts) * 100).toFixed(0)}% of it`);
}
