// When the generations on one context may ask for their next token. Each generation passes the
// gate before every token, and the gate is shut for two reasons:
//
// - A KV-cache edit (a new prompt that parts from what its sequence holds). node-llama-cpp's
//   batch loop holds the context's lock for as long as any sequence has a token queued, and an
//   edit needs that lock: with two sequences generating it would wait until every one of them
//   had finished. So the gate shuts for everyone, the batch loop runs dry and lets the lock go,
//   the edit runs, and the gate opens again: one batch's pause.
// - A completion (the typing user). Chats and other tools' generations wait between tokens while
//   it runs, so that it has every batch to itself and answers as fast as it would alone; never
//   longer than PRIORITY_LIMIT_MS for one completion, so that generations always move on.

/** Completions (fill-in-the-middle) pass whenever no edit is waiting; generations also wait for completions. */
export type LaneKind = "fim" | "generation";

/** The longest one completion keeps the other generations waiting. */
export const PRIORITY_LIMIT_MS = 2000;

export class ContextGate {
  private edits = 0;
  private completions = 0;
  private waiting: { kind: LaneKind; pass(): void }[] = [];

  /** Runs `edit` (which takes the context's lock) with every generation held between tokens. */
  async edit<T>(edit: () => Promise<T>): Promise<T> {
    this.edits++;
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

  /** Awaited before each token: undefined (go on at once) unless the gate is shut for this kind. */
  pass(kind: LaneKind, signal: AbortSignal): Promise<void> | undefined {
    if (this.isOpen(kind) || signal.aborted) return undefined;
    return new Promise<void>((resolve) => {
      const waiter = {
        kind,
        pass: () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      // A cancelled generation stops waiting; its loop then sees the abort.
      const onAbort = () => {
        this.waiting = this.waiting.filter((w) => w !== waiter);
        resolve();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private isOpen(kind: LaneKind): boolean {
    return this.edits === 0 && (kind === "fim" || this.completions === 0);
  }

  private wake(): void {
    const still: typeof this.waiting = [];
    for (const waiter of this.waiting) {
      if (this.isOpen(waiter.kind)) waiter.pass();
      else still.push(waiter);
    }
    this.waiting = still;
  }
}
