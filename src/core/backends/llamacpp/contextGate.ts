// When the generations on one context may put their next tokens into node-llama-cpp's batch, and
// in what order. Each generation passes the gate before its prompt and before every token.
//
// The gate shuts for two reasons:
// - A KV-cache edit (a new prompt that parts from what its sequence holds). node-llama-cpp's
//   batch loop holds the context's lock for as long as any sequence has a token queued, and an
//   edit needs that lock: with two sequences generating it would wait until every one of them
//   had finished. So the gate shuts for everyone, the batch loop runs dry and lets the lock go,
//   the edit runs, and the gate opens again: one batch's pause.
// - A completion (the typing user). Chats and other tools' generations wait while it runs, so
//   that it has every batch to itself and answers as fast as it would alone; never longer than
//   PRIORITY_LIMIT_MS for one completion, so that generations always move on.
//
// It gathers: the generations running together pass together, so that one decode serves all of
// their next tokens. Left alone, each sequence queues its token as soon as its own sampling
// finishes, and the batch loop starts the next decode before the last of them is queued: one
// sequence always missed the batch.
//
// And it orders, for correctness as much as speed. With a KV cache per sequence, llama.cpp
// splits a batch into one decode per run of consecutive sequence ids in batch order
// (llama_batch_allocr::split_equal); when that computes the outputs out of batch order, it swaps
// the rows of its logits into place lazily, inside the first llama_get_logits_ith, which is not
// safe to call from two threads, and node-llama-cpp samples each sequence on a thread of its own:
// two samplings swapping at once left sequences with each other's logits (measured: a stream
// decoded beside others took the token another stream's context called for). The outputs come in
// order when every batch holds one-token outputs in ascending sequence order, and prompts, which
// have no output, after them. So a prompt's last token is evaluated apart from the rest of it, the
// passes with an output are released one at a time, lowest sequence first, each given a turn of
// the event loop to reach node-llama-cpp's queue before the next, the batch is dispatched when
// they all are, and a pass whose sequence is below one already released waits for the next batch.

import type { BatchItem, BatchingOptions, PrioritizedBatchItem } from "node-llama-cpp";

/** Completions (fill-in-the-middle) pass whenever no edit is waiting; generations also wait for completions. */
export type LaneKind = "fim" | "generation";

/** The longest one completion keeps the other generations waiting. */
export const PRIORITY_LIMIT_MS = 2000;

/**
 * The longest the first generation at the gate waits for the others: far longer than sampling
 * takes, far shorter than a decode, so a generation held up elsewhere costs the others little.
 */
export const GATHER_LIMIT_MS = 4;

interface Waiter {
  kind: LaneKind;
  /** The sequence's id in the context. */
  order: number;
  pass(): void;
}

export class ContextGate {
  private edits = 0;
  private completions = 0;
  /** Generations (not completions) between their prompt and their last token. */
  private running = 0;
  /** Generations waiting for the others before their next token. */
  private gathering: Waiter[] = [];
  /** Passes with an output, released one at a time in sequence order. */
  private releasing: Waiter[] = [];
  /** Prompts (no output) waiting for the gate to open. */
  private prompts: Waiter[] = [];
  /** The sequences whose released token no batch has taken yet, in the order released. */
  private unbatched: number[] = [];
  /** Generations whose released token is not back yet (queued, decoding or sampling). */
  private inFlight = new Set<number>();
  /** A released pass is on its way to node-llama-cpp's queue. */
  private turning = false;
  private pendingDispatch: (() => void) | undefined;
  private gatherLimit: NodeJS.Timeout | undefined;

  /** node-llama-cpp's batching options for the context this gate guards. */
  readonly batching: BatchingOptions = {
    dispatchSchedule: (dispatch) => {
      if (this.turning) this.pendingDispatch = dispatch;
      else setImmediate(dispatch);
    },
    itemPrioritizationStrategy: ({ items, size }) => this.formBatch(items, size),
  };

  /** Runs `edit` (which takes the context's lock) with every generation held. */
  async edit<T>(edit: () => Promise<T>): Promise<T> {
    this.edits++;
    // The tokens already queued must be decoded for the lock to come free.
    this.flushDispatch();
    try {
      return await edit();
    } finally {
      this.edits--;
      this.wake();
    }
  }

  /** A completion starts: generations wait until the returned function is called, or the limit passes. */
  prioritize(): () => void {
    this.completions++;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      clearTimeout(limit);
      this.completions--;
      this.wake();
    };
    const limit = setTimeout(end, PRIORITY_LIMIT_MS);
    limit.unref();
    return end;
  }

  /** A generation of `kind` has its prompt in and starts generating; the returned function ends it. */
  run(kind: LaneKind): () => void {
    if (kind === "fim") return () => undefined;
    this.running++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.running--;
      this.wake();
    };
  }

  /** Awaited before a sequence's prompt (no output): undefined (go on at once) when the gate is open. */
  passPrompt(kind: LaneKind, order: number, signal: AbortSignal): Promise<void> | undefined {
    if (signal.aborted || this.isOpen(kind)) return undefined;
    return this.wait(this.prompts, { kind, order }, signal);
  }

  /**
   * Awaited before each token, which has an output: undefined (go on at once) when nothing is to
   * wait for. Once the token is back (or its evaluation ended without one), call `settled`.
   */
  pass(kind: LaneKind, order: number, signal: AbortSignal): Promise<void> | undefined {
    if (signal.aborted) return undefined;
    const gathers = kind === "generation" && this.running > 1;
    if (!gathers && !this.turning && this.releasing.length === 0 && this.mayRelease({ kind, order })) {
      this.release({ kind, order, pass: () => undefined });
      return undefined;
    }
    return this.wait(gathers ? this.gathering : this.releasing, { kind, order }, signal);
  }

  /**
   * The token a pass let through has been decoded, or node-llama-cpp ended the evaluation
   * without queueing it: either way no batch still to form holds it.
   */
  settled(order: number): void {
    const at = this.unbatched.indexOf(order);
    if (at >= 0) this.unbatched.splice(at, 1);
    if (!this.inFlight.delete(order) && at < 0) return;
    this.wake();
  }

  private wait(list: Waiter[], lane: Omit<Waiter, "pass">, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const waiter: Waiter = {
        ...lane,
        pass: () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      // A cancelled generation stops waiting; its loop then sees the abort.
      const onAbort = () => {
        for (const l of [this.gathering, this.releasing, this.prompts]) {
          const at = l.indexOf(waiter);
          if (at >= 0) l.splice(at, 1);
        }
        resolve();
        this.wake();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      list.push(waiter);
      this.wake();
    });
  }

  private isOpen(kind: LaneKind): boolean {
    return this.edits === 0 && (kind === "fim" || this.completions === 0);
  }

  private mayRelease(w: Omit<Waiter, "pass">): boolean {
    return this.isOpen(w.kind) && w.order > (this.unbatched.at(-1) ?? -1);
  }

  private wake(): void {
    for (const w of this.prompts.filter((p) => this.isOpen(p.kind))) {
      this.prompts.splice(this.prompts.indexOf(w), 1);
      w.pass();
    }
    // A generation waiting for the next batch is at the gate as much as one gathering.
    const atGate = this.gathering.length + this.releasing.filter((w) => w.kind === "generation").length;
    if (this.gathering.length > 0 && atGate >= this.running) this.gathered();
    else if (this.gathering.length > 0 && this.inFlight.size === 0) {
      // The others are all outside the gate (their clients reading): wait for them a little.
      // One still being decoded is waited for until it is back, or the batches would stay split
      // in two groups, each missing the other's decode, at half the speed.
      this.gatherLimit ??= setTimeout(() => this.gathered(), GATHER_LIMIT_MS);
    }
    this.releaseNext();
  }

  /** Everyone running is at the gate, or the first has waited long enough. */
  private gathered(): void {
    clearTimeout(this.gatherLimit);
    this.gatherLimit = undefined;
    this.releasing.push(...this.gathering);
    this.gathering = [];
    this.releaseNext();
  }

  private releaseNext(): void {
    if (this.turning) return;
    const next = this.releasing.filter((w) => this.mayRelease(w)).sort((a, b) => a.order - b.order)[0];
    if (!next) return this.flushDispatch();
    this.releasing.splice(this.releasing.indexOf(next), 1);
    this.release(next);
  }

  private release(w: Waiter): void {
    this.unbatched.push(w.order);
    if (w.kind === "generation") this.inFlight.add(w.order);
    this.turning = true;
    w.pass();
    // node-llama-cpp queues the token within the microtasks that follow; the next pass waits for them.
    setImmediate(() => {
      this.turning = false;
      this.releaseNext();
    });
  }

  private flushDispatch(): void {
    const dispatch = this.pendingDispatch;
    this.pendingDispatch = undefined;
    dispatch?.();
  }

  /** node-llama-cpp forms a batch: outputs first, in the order queued, then prompts, completions' first. */
  private formBatch(items: readonly BatchItem[], size: number): PrioritizedBatchItem[] {
    const outputs = items.filter((item) => item.logits.some(Boolean));
    // Outputs are queued in the order released, so the ones not here are the last released (one
    // on its way); they lead the next batch, whose order starts again after them. A count that is
    // off (a pass whose evaluation ended unqueued) is mended when that pass settles.
    this.unbatched = this.unbatched.slice(outputs.length);
    setImmediate(() => this.releaseNext());
    const prompts = items.filter((item) => !item.logits.some(Boolean)).sort((a, b) => b.evaluationPriority - a.evaluationPriority);
    const batch: PrioritizedBatchItem[] = [];
    let left = size;
    for (const item of [...outputs, ...prompts]) {
      if (left === 0) break;
      const processAmount = Math.min(item.tokens.length, left);
      batch.push({ item, processAmount });
      left -= processAmount;
    }
    return batch;
  }
}
