// `squeeze bench`: how fast (and, where the machine counts energy, how efficiently) this machine
// runs models, on each backend and device that can run them here, as a table, a chart file and,
// with --json, the report for scripts (schema: core/protocol/benchReport.schema.json).
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { benchChart } from "../core/bench/benchChart";
import { type BenchReport, benchChartName } from "../core/protocol/benchReport";
import { type BenchModel, DEFAULT_BENCH, runBench } from "../core/bench/benchRun";
import { ModelSourceError } from "../core/catalog/userCatalog";
import { probeHardware } from "../core/hardware/probe";
import { modelCandidates, ModelNotAvailableError } from "../core/selection/modelCandidates";
import { openModelStore } from "../core/service/openModelStore";
import { configDir } from "../core/util/configDir";
import { checkModelArgument } from "./modelArgument";
import { intOption, UsageError } from "./usage";

export const BENCH_HELP = `Usage: squeeze bench [model ...] [options]

Measures each model on every backend and device that can run it here (llama.cpp
on the CPU and on a GPU build, onnxruntime's execution providers, an NPU runtime):
time to first token, prompt tokens/s and decode tokens/s at a few prompt lengths,
the median of a few runs with their range, and joules per token where the machine
counts energy (Linux RAPL counters, or a discharging battery). Models load as the
server loads them, one worker thread each, after the same safety check.

A model is a GGUF file, a model folder, or an id "squeeze list" shows; without
one, the models Squeeze picks for this machine (chat and completion) that are
downloaded.

Options:
      --runs <n>           runs per prompt length after a warm-up (default ${DEFAULT_BENCH.runs})
      --tokens <n>         tokens to decode per run (default ${DEFAULT_BENCH.decodeTokens})
      --lengths <a,b,...>  prompt lengths in tokens (default ${DEFAULT_BENCH.promptLengths.join(",")})
      --chart <file>       where to write the chart, an SVG file any browser opens
                           (default: bench-<date>.svg in Squeeze's folder)
      --json               print the report as JSON instead of the table
  -h, --help               show this help
`;

export async function bench(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      runs: { type: "string" },
      tokens: { type: "string" },
      lengths: { type: "string" },
      chart: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return void process.stdout.write(BENCH_HELP);
  const settings = {
    runs: intOption("runs", values.runs, 1, 100) ?? DEFAULT_BENCH.runs,
    decodeTokens: intOption("tokens", values.tokens, 2, 4096) ?? DEFAULT_BENCH.decodeTokens,
    promptLengths: values.lengths === undefined ? DEFAULT_BENCH.promptLengths : lengthsOption(values.lengths),
  };
  if (values.chart?.trim() === "") throw new UsageError("--chart must name a file");
  const models = await benchModels(positionals);
  const profile = await probeHardware();
  const tty = process.stderr.isTTY;
  const report = await runBench(models, profile, settings, (message) => {
    if (tty) process.stderr.write(`\r\x1b[2K${message}`);
    else process.stderr.write(`squeeze: ${message}\n`);
  });
  if (tty) process.stderr.write("\r\x1b[2K");
  const chart = path.resolve(values.chart ?? path.join(configDir(), benchChartName(report.date)));
  await mkdir(path.dirname(chart), { recursive: true });
  await writeFile(chart, benchChart(report));
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : benchTable(report));
  process.stderr.write(`squeeze: chart written to ${chart}\n`);
}

function lengthsOption(value: string): number[] {
  const lengths = value.split(",").map((part) => intOption("lengths", part.trim(), 1, 1 << 20)!);
  if (lengths.length === 0 || lengths.length > 8) throw new UsageError(`--lengths takes 1 to 8 lengths (got "${value}")`);
  return [...new Set(lengths)].sort((a, b) => a - b);
}

/** The models named, or the machine's downloaded picks; each once. */
async function benchModels(names: string[]): Promise<BenchModel[]> {
  const store = await openModelStore();
  const found: BenchModel[] = [];
  const add = (m: BenchModel) => {
    if (!found.some((f) => f.path === m.path && f.backend === m.backend)) found.push(m);
  };
  if (names.length > 0) {
    for (const model of names) {
      checkModelArgument(model);
      const [candidate] = await modelCandidates({ model, role: "chat", store }).catch((err: unknown) => {
        throw err instanceof ModelNotAvailableError || err instanceof ModelSourceError ? new UsageError(err.message) : err;
      });
      if (!candidate) throw new UsageError(`"${model}" is not downloaded: squeeze pull ${model}`);
      add(candidate);
    }
    return found;
  }
  for (const role of ["chat", "completion"] as const) {
    const [candidate] = await modelCandidates({ role, store });
    if (candidate) add(candidate);
  }
  if (found.length === 0) throw new UsageError('no model to measure: name one ("squeeze bench <file or id>"), or download one ("squeeze pull")');
  return found;
}

/** The report as a table, one row per model, device and prompt length. */
export function benchTable(report: BenchReport): string {
  const { machine, settings, energy } = report;
  const lines = [
    `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}`,
    `median of ${settings.runs} runs (range in brackets), ${settings.decodeTokens} tokens decoded per run`,
    `energy: ${energy.note}`,
    "",
    "| model | backend | device | prompt tokens | first token ms | prompt tok/s | decode tok/s | J/token |",
    "|---|---|---|---:|---:|---:|---:|---:|",
  ];
  for (const model of report.models) {
    for (const target of model.targets) {
      for (const p of target.points) {
        const joules = p.joulesPerToken ? range(p.joulesPerToken, 3) : "n/a";
        lines.push(`| ${model.id} | ${target.backend} | ${target.device} | ${p.promptTokens} | ${range(p.ttftMs, 0)} | ${range(p.promptTokensPerSecond, 0)} | ${range(p.decodeTokensPerSecond, 1)} | ${joules} |`);
      }
    }
    for (const skipped of model.skipped) lines.push(`| ${model.id} | ${skipped.backend} | ${skipped.device} | not measured: ${skipped.reason} | | | | |`);
  }
  return `${lines.join("\n")}\n`;
}

function range(f: { median: number; min: number; max: number }, digits: number): string {
  return `${f.median.toFixed(digits)} [${f.min.toFixed(digits)}–${f.max.toFixed(digits)}]`;
}
