// Picks the next token from a row of logits, in llama.cpp's order: penalties, top-k, top-p,
// min-p, temperature, then a draw. Temperature 0 is greedy (argmax after penalties).

export interface SamplingSettings {
  temperature: number;
  /** 0 keeps every token. */
  topK: number;
  topP: number;
  minP: number;
  /** Multiplicative penalty on recent tokens; 1 disables it. */
  repeatPenalty: number;
  presencePenalty: number;
  frequencyPenalty: number;
  /** How many recent tokens the penalties look at. */
  penaltyWindow: number;
  seed?: number;
}

export class Sampler {
  private readonly random: () => number;

  constructor(private readonly s: SamplingSettings) {
    this.random = mulberry32(s.seed ?? Math.floor(Math.random() * 2 ** 32));
  }

  /** `history` is every token so far (prompt and output); the logits row may be modified. */
  sample(logits: Float32Array, history: readonly number[]): number {
    this.penalise(logits, history);
    if (this.s.temperature <= 0) return argmax(logits);
    const candidates = topK(logits, this.s.topK > 0 ? Math.min(this.s.topK, logits.length) : logits.length);
    const probs = softmax(candidates.map((id) => logits[id] / this.s.temperature));
    let keep = candidates.length;
    if (this.s.topP < 1) {
      let sum = 0;
      for (let i = 0; i < candidates.length; i++) {
        sum += probs[i];
        if (sum >= this.s.topP) {
          keep = i + 1;
          break;
        }
      }
    }
    if (this.s.minP > 0) {
      const floor = probs[0] * this.s.minP;
      while (keep > 1 && probs[keep - 1] < floor) keep--;
    }
    let total = 0;
    for (let i = 0; i < keep; i++) total += probs[i];
    let r = this.random() * total;
    for (let i = 0; i < keep; i++) {
      r -= probs[i];
      if (r <= 0) return candidates[i];
    }
    return candidates[keep - 1];
  }

  private penalise(logits: Float32Array, history: readonly number[]): void {
    const { repeatPenalty, presencePenalty, frequencyPenalty, penaltyWindow } = this.s;
    if (repeatPenalty === 1 && presencePenalty === 0 && frequencyPenalty === 0) return;
    const counts = new Map<number, number>();
    for (const id of history.slice(-penaltyWindow)) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const [id, count] of counts) {
      const l = logits[id];
      logits[id] = (l > 0 ? l / repeatPenalty : l * repeatPenalty) - presencePenalty - count * frequencyPenalty;
    }
  }
}

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Ids of the k largest values, largest first; one pass keeping a sorted short list. */
function topK(values: Float32Array, k: number): number[] {
  if (k === values.length) return Array.from(values.keys()).sort((a, b) => values[b] - values[a]);
  const ids: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (ids.length === k && v <= values[ids[k - 1]]) continue;
    let at = ids.length === k ? k - 1 : ids.length;
    while (at > 0 && values[ids[at - 1]] < v) {
      ids[at] = ids[at - 1];
      at--;
    }
    ids[at] = i;
  }
  return ids;
}

function softmax(values: number[]): number[] {
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** A small seedable PRNG: the same seed gives the same draws. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
