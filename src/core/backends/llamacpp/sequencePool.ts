// The context's sequences, each with its own KV cache, lent to one generation at a time. A
// request gets the free sequence that will evaluate the least of its prompt: the one its client
// used last (an editor window's completions), else the one whose cache shares the longest start
// with it (a chat's next turn), else one beside a busy sequence (llama.cpp decodes consecutive
// sequences in one pass: see ContextGate), else the one unused the longest; sequences that another
// client used last only when there is no other.
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import { EngineError } from "../../protocol/errors";

/** A sequence and its place among the context's sequences (node-llama-cpp's sequence id). */
export interface Lane {
  sequence: LlamaContextSequence;
  order: number;
}

interface Entry extends Lane {
  busy: boolean;
  client: string | undefined;
  lastUsed: number;
}

export class SequencePool {
  private readonly entries: Entry[];
  private clock = 0;

  constructor(lanes: Lane[]) {
    this.entries = lanes.map((lane) => ({ ...lane, busy: false, client: undefined, lastUsed: 0 }));
  }

  get size(): number {
    return this.entries.length;
  }

  /** Lends a free sequence for a prompt; the engine's scheduler admits no more requests than there are sequences. */
  acquire(prompt: Token[], client: string | undefined): Lane {
    const free = this.entries.filter((e) => !e.busy);
    if (free.length === 0) throw new EngineError("internal", "every sequence of the model is busy");
    // Another client's sequence is taken last: two windows typing must not evict each other's cache.
    const unclaimed = free.filter((e) => e.client === undefined || e.client === client);
    const candidates = unclaimed.length > 0 ? unclaimed : free;
    const own = client === undefined ? undefined : candidates.find((e) => e.client === client);
    const busy = new Set(this.entries.filter((e) => e.busy).map((e) => e.order));
    const beside = candidates.filter((e) => busy.has(e.order - 1) || busy.has(e.order + 1));
    const entry = own ?? bestReuse(candidates, prompt) ?? leastRecent(beside.length > 0 ? beside : candidates);
    entry.busy = true;
    entry.client = client;
    entry.lastUsed = ++this.clock;
    return { sequence: entry.sequence, order: entry.order };
  }

  release(sequence: LlamaContextSequence): void {
    const entry = this.entries.find((e) => e.sequence === sequence);
    if (entry) entry.busy = false;
  }

  dispose(): void {
    for (const { sequence } of this.entries) sequence.dispose();
  }
}

function leastRecent(entries: Entry[]): Entry {
  return entries.reduce((a, b) => (b.lastUsed < a.lastUsed ? b : a));
}

/** The sequence whose cache already holds the longest start of the prompt, if any does. */
function bestReuse(free: Entry[], prompt: Token[]): Entry | undefined {
  let best: Entry | undefined;
  let bestLength = 0;
  for (const entry of free) {
    const length = entry.sequence.compareContextTokens(prompt).firstDifferentIndex;
    if (length > bestLength) {
      best = entry;
      bestLength = length;
    }
  }
  return best;
}
