// One generation at a time on the worker; the others wait here, first in first out,
// in a queue of bounded length so that overload is answered at once instead of piling up.
import { EngineError } from "./errors";

export type Release = () => void;

interface Waiter {
  grant(): void;
}

export class RequestQueue {
  private busy = false;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly capacity: number) {}

  get length(): number {
    return this.waiting.length;
  }

  /**
   * Takes a place in the queue now (throwing queue_full when there is none) and resolves
   * when it is this caller's turn. `exclusive` callers (model loads) are never refused.
   */
  enter(signal?: AbortSignal, { exclusive = false } = {}): Promise<Release> {
    if (signal?.aborted) return Promise.reject(cancelledWhileWaiting());
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve(this.releaser());
    }
    if (!exclusive && this.waiting.length >= this.capacity) {
      throw new EngineError("queue_full", `${this.waiting.length} requests are already waiting for the model; try again shortly`);
    }
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve(this.releaser());
        },
      };
      const onAbort = () => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(cancelledWhileWaiting());
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next.grant();
      else this.busy = false;
    };
  }
}

function cancelledWhileWaiting(): EngineError {
  return new EngineError("cancelled", "the request was cancelled while waiting");
}
