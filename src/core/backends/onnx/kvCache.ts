// The decoder's KV cache: one tensor per layer for keys and one for values.
//
// Shared-buffer mode (genai_config search.past_present_share_buffer, what GroupQueryAttention
// models use): each tensor is pre-allocated at a capacity and bound as both the past input and
// the present output, so a step writes its new row in place. A step still costs in proportion
// to the buffer (onnxruntime-node copies every output it returns, and attention scratch follows
// the buffer length), so capacity is sized to the request and grown in steps.
//
// Otherwise the runtime returns present tensors one row longer than past ones, and they become
// the next step's past.
import type { Tensor } from "onnxruntime-node";

export type KvType = "float32" | "float16";
type TensorConstructor = typeof Tensor;

/** Capacity grows in steps of this many tokens (a copy of the cache each time). */
export const KV_GROWTH_STEP = 256;

export interface KvNames {
  pastKeys: string[];
  pastValues: string[];
  presentKeys: string[];
  presentValues: string[];
}

export class KvCache {
  /** The tokens whose keys and values are in the cache, in order. */
  private held: number[] = [];
  private capacity = 0;
  private keys: Tensor[];
  private values: Tensor[];

  constructor(
    private readonly TensorClass: TensorConstructor,
    private readonly names: KvNames,
    private readonly heads: number,
    private readonly headSize: number,
    private readonly type: KvType,
    readonly shared: boolean,
  ) {
    this.keys = names.pastKeys.map(() => this.allocate(0));
    this.values = names.pastValues.map(() => this.allocate(0));
  }

  get length(): number {
    return this.held.length;
  }

  /** How many tokens at the start of `tokens` the cache already holds. */
  commonPrefix(tokens: readonly number[]): number {
    let n = 0;
    while (n < this.held.length && n < tokens.length && this.held[n] === tokens[n]) n++;
    return n;
  }

  /** Forgets the cached tokens (keeps the memory in shared mode). */
  reset(): void {
    this.held = [];
    if (!this.shared) {
      this.keys = this.keys.map(() => this.allocate(0));
      this.values = this.values.map(() => this.allocate(0));
    }
  }

  /** Keeps only the first `length` cached tokens. */
  truncate(length: number): void {
    if (length >= this.length) return;
    if (length === 0) return this.reset();
    if (!this.shared) {
      // Unshared tensors are exactly as long as their content: copy the rows that stay.
      this.keys = this.keys.map((t) => this.copyRows(t, this.length, length, length));
      this.values = this.values.map((t) => this.copyRows(t, this.length, length, length));
    }
    // Shared buffers keep their rows; the next run overwrites those past the new length.
    this.held.length = length;
  }

  /** Makes room for `total` tokens (shared mode), growing by whole steps up to `limit`. */
  reserve(total: number, limit: number): void {
    if (!this.shared || total <= this.capacity) return;
    const capacity = Math.min(limit, Math.ceil(total / KV_GROWTH_STEP) * KV_GROWTH_STEP);
    this.keys = this.keys.map((t) => this.copyRows(t, this.capacity, capacity, this.length));
    this.values = this.values.map((t) => this.copyRows(t, this.capacity, capacity, this.length));
    this.capacity = capacity;
  }

  /** Past inputs for the next run. */
  feeds(): Record<string, Tensor> {
    const feeds: Record<string, Tensor> = {};
    this.names.pastKeys.forEach((name, i) => (feeds[name] = this.keys[i]));
    this.names.pastValues.forEach((name, i) => (feeds[name] = this.values[i]));
    return feeds;
  }

  /** Present outputs: the same tensors in shared mode, left to the runtime otherwise. */
  fetches(): Record<string, Tensor | null> {
    const fetches: Record<string, Tensor | null> = {};
    this.names.presentKeys.forEach((name, i) => (fetches[name] = this.shared ? this.keys[i] : null));
    this.names.presentValues.forEach((name, i) => (fetches[name] = this.shared ? this.values[i] : null));
    return fetches;
  }

  /** Records a run of `tokens`. */
  commit(tokens: readonly number[], outputs: Record<string, Tensor>): void {
    this.held.push(...tokens);
    if (this.shared) return;
    this.keys = this.names.presentKeys.map((name) => outputs[name]);
    this.values = this.names.presentValues.map((name) => outputs[name]);
  }

  private allocate(capacity: number): Tensor {
    const size = this.heads * capacity * this.headSize;
    const data = this.type === "float32" ? new Float32Array(size) : new Uint16Array(size);
    return new this.TensorClass(this.type, data, [1, this.heads, capacity, this.headSize]);
  }

  /** A new tensor of `capacity` rows per head holding the first `rows` rows of each head of `old`. */
  private copyRows(old: Tensor, oldCapacity: number, capacity: number, rows: number): Tensor {
    const fresh = this.allocate(capacity);
    const from = old.data as Float32Array | Uint16Array;
    const to = fresh.data as Float32Array | Uint16Array;
    const hs = this.headSize;
    for (let h = 0; h < this.heads; h++) {
      to.set(from.subarray(h * oldCapacity * hs, (h * oldCapacity + rows) * hs), h * capacity * hs);
    }
    old.dispose();
    return fresh;
  }
}
