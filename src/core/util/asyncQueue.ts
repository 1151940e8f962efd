// A single-consumer push queue exposed as an async iterable: bridges callbacks and
// message events to `for await` without buffering beyond what the consumer has not read.

export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  private failure: { error: unknown } | undefined;
  private markSettled!: () => void;
  /** Resolves once the writer has ended the stream (close or fail), however far the reader is. */
  readonly settled = new Promise<void>((resolve) => (this.markSettled = resolve));

  push(item: T): void {
    if (this.ended) return;
    this.items.push(item);
    this.notify();
  }

  /** Ends the stream after the items already pushed. */
  close(): void {
    this.ended = true;
    this.markSettled();
    this.notify();
  }

  /** Ends the stream with an error, thrown after the items already pushed. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.failure = { error };
    this.close();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.items.length > 0) {
        yield this.items.shift() as T;
      } else if (this.ended) {
        if (this.failure) throw this.failure.error;
        return;
      } else {
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
