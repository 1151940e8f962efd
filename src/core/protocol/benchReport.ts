// What `squeeze bench` measures and prints with --json: per model, per backend and device that can
// run it here, per prompt length, the medians of a few runs with their spread, and energy where
// the machine counts it. The CLI prints it and the extension reads it; the schema is published as benchReport.schema.json for scripts.
import { z } from "zod";
import { BACKENDS } from "./types";

/** A figure over the runs: its median and the range the runs spanned. */
const figureSchema = z.object({ median: z.number(), min: z.number(), max: z.number() });
export type Figure = z.infer<typeof figureSchema>;

const pointSchema = z.object({
  /** The prompt length asked for (one of settings.promptLengths). */
  length: z.int().positive(),
  /** Prompt tokens each run evaluated before its first answer token (median). */
  promptTokens: z.int().positive(),
  ttftMs: figureSchema,
  promptTokensPerSecond: figureSchema,
  decodeTokensPerSecond: figureSchema,
  /** Answer tokens per run (a model may end an answer early). */
  decodedTokens: z.int().nonnegative(),
  /** Joules per decoded token, where the machine counts energy. */
  joulesPerToken: figureSchema.nullable(),
});
export type BenchPoint = z.infer<typeof pointSchema>;

const targetSchema = z.object({
  backend: z.enum(BACKENDS),
  /** "cpu", or the GPU API or NPU runtime that ran it (cuda, vulkan, metal, dml, flm ...). */
  device: z.string(),
  /** The runtime's own words on how it runs (threads, execution provider). */
  runtime: z.string(),
  points: z.array(pointSchema),
});
export type BenchTarget = z.infer<typeof targetSchema>;

export const benchReportSchema = z.object({
  version: z.literal(1),
  /** When the runs began (ISO 8601). */
  date: z.string(),
  machine: z.object({ cpu: z.string(), cores: z.int().positive(), memoryGiB: z.number(), platform: z.string() }),
  settings: z.object({ runs: z.int().positive(), decodeTokens: z.int().positive(), promptLengths: z.array(z.int().positive()) }),
  energy: z.object({
    /** Where joules come from: "rapl" (Linux powercap), "battery" (discharge rate), or null. */
    source: z.enum(["rapl", "battery"]).nullable(),
    /** What was read, or why nothing could be. */
    note: z.string(),
  }),
  models: z.array(
    z.object({
      id: z.string(),
      path: z.string(),
      targets: z.array(targetSchema),
      /** Backends or devices that could not run it here, and why. */
      skipped: z.array(z.object({ backend: z.enum(BACKENDS), device: z.string(), reason: z.string() })),
    }),
  ),
});
export type BenchReport = z.infer<typeof benchReportSchema>;

/** The median and range of `values`. */
export function figureOf(values: readonly number[]): Figure {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)! };
}

/** The chart's file name for a run that began at `date` (ISO 8601): sortable, and valid on every OS. */
export function benchChartName(date: string): string {
  return `bench-${date.slice(0, 19).replace(/[:T]/g, "-")}.svg`;
}
