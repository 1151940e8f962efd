// What the benchmarks share: one run's timings and medians.

export interface Sample {
  ttftMs: number;
  decodeTps: number;
  tokens: number;
}

/** Timestamps of each token (or group of tokens) as the caller sees it. */
export function sample(start: number, stamps: number[], tokens: number): Sample {
  const first = stamps[0];
  const last = stamps[stamps.length - 1];
  return { ttftMs: first - start, decodeTps: ((tokens - 1) * 1000) / (last - first), tokens };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The value below which `p` percent of `values` fall (nearest rank). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** The order of `items` for round `round`: rotating, so that drift in machine load favours none. */
export function rotate<T>(items: readonly T[], round: number): T[] {
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
