// `squeeze bench`'s measurements: each model on each backend and device that can run it here,
// loaded the way the server loads it (in a worker thread, after the model's proof), alone, timed at
// a few prompt lengths; each figure is the median of the runs after a warm-up, with their range.
import os from "node:os";
import { EngineHost } from "../engine/engineHost";
import { openEnergyMeter, type EnergyMeter } from "../hardware/energyMeter";
import type { HardwareProfile } from "../hardware/profileSchema";
import type { BackendName } from "../protocol/types";
import { type BenchPoint, type BenchReport, figureOf } from "../protocol/benchReport";

export interface BenchModel {
  id: string;
  path: string;
  backend: BackendName;
}

export interface BenchSettings {
  runs: number;
  decodeTokens: number;
  promptLengths: number[];
}

export const DEFAULT_BENCH: BenchSettings = { runs: 3, decodeTokens: 32, promptLengths: [128, 512, 2048] };

/** What the runner says as it goes (for a progress line); the report holds the figures. */
export type BenchProgress = (message: string) => void;

const FILLER = "The history of computing began long before electronic machines, with people who counted by hand. ";

interface Run {
  promptTokens: number;
  ttftMs: number;
  decodeTps: number;
  tokens: number;
  joulesPerToken: number | null;
}

export async function runBench(models: BenchModel[], profile: HardwareProfile, settings: BenchSettings, progress: BenchProgress): Promise<BenchReport> {
  const date = new Date().toISOString();
  const energy = await openEnergyMeter();
  const report: BenchReport = {
    version: 1,
    date,
    machine: {
      cpu: profile.cpu.brand ?? os.cpus()[0]?.model ?? "unknown CPU",
      cores: profile.cpu.logicalCores,
      memoryGiB: Math.round((profile.memory.totalBytes / 2 ** 30) * 10) / 10,
      platform: `${process.platform}-${process.arch}`,
    },
    settings,
    energy: { source: energy.meter?.source ?? null, note: energy.note },
    models: models.map((m) => ({ id: m.id, path: m.path, targets: [], skipped: [] })),
  };
  try {
    const contextSize = Math.max(...settings.promptLengths) + settings.decodeTokens + 64;
    for (const [index, model] of models.entries()) {
      const entry = report.models[index]!;
      for (const { device, gpu } of devicesFor(model.backend, profile)) {
        progress(`loading ${model.id} on ${device}`);
        // One target loaded at a time: an idle runtime beside it (onnxruntime's spinning threads)
        // measured llama.cpp's decode at about half its speed alone.
        const host = new EngineHost();
        try {
          const info = await host.load({ id: model.id, path: model.path, backend: model.backend, contextSize, gpu, parallel: 1 });
          // A GPU load that fell back to the CPU would measure the CPU again.
          if (gpu === "auto" && info.gpu === false && (model.backend === "llama.cpp" || model.backend === "onnx")) {
            entry.skipped.push({ backend: model.backend, device, reason: "loaded on the CPU instead (the GPU runtime did not take the model)" });
            continue;
          }
          const target = info.gpu === false ? device : String(info.gpu);
          const points: BenchPoint[] = [];
          for (const length of settings.promptLengths) {
            const runs: Run[] = [];
            for (let run = 0; run <= settings.runs; run++) {
              progress(`${run === 0 ? "warming up" : `run ${run} of ${settings.runs}`}: ${model.id} on ${target}, ${length}-token prompt`);
              const result = await runOnce(host, await promptOf(host, length, run), settings.decodeTokens, energy.meter);
              if (run > 0) runs.push(result);
            }
            points.push(pointOf(length, runs));
          }
          entry.targets.push({ backend: model.backend, device: target, runtime: info.runtime, points });
        } catch (err) {
          entry.skipped.push({ backend: model.backend, device, reason: (err as Error).message });
        } finally {
          await host.dispose();
        }
      }
    }
    return report;
  } finally {
    energy.meter?.stop();
  }
}

/** The devices a backend can use here: the CPU, and a GPU where the runtime has one; an NPU runtime runs where it runs. */
function devicesFor(backend: BackendName, profile: HardwareProfile): { device: string; gpu: "auto" | false }[] {
  if (backend === "ryzenai" || backend === "flm") return [{ device: "npu", gpu: "auto" }];
  const gpuApis = backend === "llama.cpp" ? (profile.runtimes.llamaCppGpu ?? []) : (profile.runtimes.onnxProviders ?? []).filter((p) => !["cpu", "xnnpack", "wasm"].includes(p));
  return [{ device: "cpu", gpu: false }, ...(gpuApis.length > 0 ? [{ device: gpuApis[0]!, gpu: "auto" as const }] : [])];
}

/** A prompt of `tokens` tokens (as near as the text's words allow) whose start differs per run, so no run reuses another's cache. */
async function promptOf(host: EngineHost, tokens: number, run: number): Promise<string> {
  const count = async (text: string) => (await host.tokenize({ text })).length;
  let text = `${run}: `;
  while ((await count(text + FILLER)) <= tokens) text += FILLER;
  for (const word of FILLER.split(" ")) {
    if ((await count(`${text}${word} `)) > tokens) break;
    text += `${word} `;
  }
  return text;
}

async function runOnce(host: EngineHost, prompt: string, decodeTokens: number, meter: EnergyMeter | undefined): Promise<Run> {
  const start = performance.now();
  let first: number | undefined;
  let last = start;
  let joulesAtFirst: number | undefined;
  /** Tokens the first text stands for (more than one where a character spans tokens). */
  let firstTokens = 0;
  let promptTokens = 0;
  let tokens = 0;
  for await (const event of host.complete(prompt, { maxTokens: decodeTokens, temperature: 0 })) {
    if (event.type === "text" && event.tokens > 0 && first === undefined) {
      first = performance.now();
      firstTokens = event.tokens;
      joulesAtFirst = await meter?.read();
    }
    if (event.type === "done") {
      // Text is released in whole characters, so several tokens can arrive at once: the decode ends when the answer does.
      last = performance.now();
      ({ promptTokens, completionTokens: tokens } = event.usage);
    }
  }
  const joules = meter && joulesAtFirst !== undefined ? (await meter.read()) - joulesAtFirst : undefined;
  // The tokens after the first text, over the time after it.
  const decodeMs = first === undefined ? 0 : last - first;
  const decoded = tokens - firstTokens;
  return {
    promptTokens,
    ttftMs: (first ?? last) - start,
    decodeTps: decoded > 0 && decodeMs > 0 ? (decoded * 1000) / decodeMs : 0,
    tokens,
    joulesPerToken: joules !== undefined && decoded > 0 ? joules / decoded : null,
  };
}

function pointOf(length: number, runs: Run[]): BenchPoint {
  const joules = runs.map((r) => r.joulesPerToken).filter((j): j is number => j !== null);
  return {
    length,
    promptTokens: Math.round(figureOf(runs.map((r) => r.promptTokens)).median),
    ttftMs: figureOf(runs.map((r) => r.ttftMs)),
    promptTokensPerSecond: figureOf(runs.map((r) => (r.promptTokens * 1000) / Math.max(1e-3, r.ttftMs))),
    decodeTokensPerSecond: figureOf(runs.map((r) => r.decodeTps)),
    decodedTokens: Math.round(figureOf(runs.map((r) => r.tokens)).median),
    joulesPerToken: joules.length === runs.length ? figureOf(joules) : null,
  };
}
