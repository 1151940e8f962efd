// Lets a KV-cache edit into a context where other sequences are generating. node-llama-cpp's
// batch loop holds the context's lock for as long as any sequence has a token queued, and an
// edit (a new prompt that parts from what a sequence holds) needs that lock: with two sequences
// generating, it would wait until every one of them had finished. So an edit closes the gate,
// every generation on the context waits at it before asking for its next token, the batch loop
// runs dry and lets the lock go, the edit runs, and the gate opens again: one batch's pause.

export class ContextGate {
  private edits = 0;
  private closed: { promise: Promise<void>; open(): void } | undefined;

  /** Runs `edit` (which takes the context's lock) with the generations held between tokens. */
  async edit<T>(edit: () => Promise<T>): Promise<T> {
    if (this.edits++ === 0) {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => (open = resolve));
      this.closed = { promise, open };
    }
    try {
      return await edit();
    } finally {
      if (--this.edits === 0) {
        this.closed?.open();
        this.closed = undefined;
      }
    }
  }

  /** Awaited by each generation before its next token: at once unless an edit is waiting. */
  pass(): Promise<void> | undefined {
    return this.closed?.promise;
  }
}
