// Who runs on a model, and when. A model has slots for generations (parallel sequences on
// llama.cpp, one elsewhere) and may have slots of its own for fill-in-the-middle, so that a
// typing user's completion never waits behind a chat. Where it has none, completions share the
// generation slots and go first. Requests beyond the slots wait in a bounded queue, so that
// overload is answered at once instead of piling up; exclusive turns (model loads) wait for
// everything running to finish and hold new work back until they are done.
import { EngineError } from "../protocol/errors";
import type { ModelSlots } from "../protocol/types";

export type Release = () => void;

/** Completions ask for the fill-in-the-middle slots; everything else for the generation slots. */
export type TurnKind = "fim" | "generation";

interface Waiter {
  kind: TurnKind | "exclusive";
  grant(): void;
}

export class Scheduler {
  private slots: ModelSlots = { generation: 1, fim: 0 };
  private readonly running = { generation: 0, fim: 0 };
  private exclusive = false;
  private readonly waiting: Waiter[] = [];

  /** `capacity`: requests that may wait while the slots are taken; more are refused with queue_full. */
  constructor(private readonly capacity: number) {}

  /** Requests waiting for a slot. */
  get length(): number {
    return this.waiting.filter((w) => w.kind !== "exclusive").length;
  }

  /** Requests holding a slot. */
  get active(): number {
    return this.running.generation + this.running.fim;
  }

  /** Set by each model load: what the loaded model can run at once. */
  setSlots(slots: ModelSlots): void {
    this.slots = { generation: Math.max(1, slots.generation), fim: Math.max(0, slots.fim) };
    this.pump();
  }

  /**
   * Takes a place now (throwing queue_full when there is none) and resolves when it is this
   * caller's turn. Exclusive turns (model loads) are never refused.
   */
  enter(kind: TurnKind | "exclusive", signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(cancelledWhileWaiting());
    if (kind !== "exclusive" && this.length >= this.capacity && !this.fits(kind)) {
      throw new EngineError("queue_full", `${this.length} requests are already waiting for the model; try again shortly`);
    }
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        kind,
        grant: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve(this.releaser(kind));
        },
      };
      const onAbort = () => {
        const index = this.waiting.indexOf(waiter);
        if (index < 0) return;
        this.waiting.splice(index, 1);
        reject(signal?.reason instanceof EngineError ? signal.reason : cancelledWhileWaiting());
        this.pump();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(waiter);
      this.pump();
    });
  }

  /** The pool a turn of this kind takes a slot from: completions share the generation slots where they have none of their own. */
  private pool(kind: TurnKind): TurnKind {
    return kind === "fim" && this.slots.fim > 0 ? "fim" : "generation";
  }

  private fits(kind: TurnKind | "exclusive"): boolean {
    if (this.exclusive) return false;
    if (kind === "exclusive") return this.active === 0;
    const pool = this.pool(kind);
    return this.running[pool] < this.slots[pool];
  }

  /** Grants turns: an exclusive turn once all is idle (nothing passes it), completions before the rest. */
  private pump(): void {
    for (;;) {
      const barrier = this.waiting.findIndex((w) => w.kind === "exclusive");
      const eligible = barrier < 0 ? this.waiting : this.waiting.slice(0, barrier);
      const next =
        eligible.find((w) => w.kind === "fim" && this.fits("fim")) ??
        eligible.find((w) => w.kind === "generation" && this.fits("generation")) ??
        (barrier === 0 && this.fits("exclusive") ? this.waiting[0] : undefined);
      if (!next) return;
      this.waiting.splice(this.waiting.indexOf(next), 1);
      if (next.kind === "exclusive") this.exclusive = true;
      else this.running[this.pool(next.kind)]++;
      next.grant();
    }
  }

  private releaser(kind: TurnKind | "exclusive"): Release {
    // The pool is fixed when the turn is granted: slots may change while it runs (a load).
    const pool = kind === "exclusive" ? undefined : this.pool(kind);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (pool) this.running[pool]--;
      else this.exclusive = false;
      this.pump();
    };
  }
}

function cancelledWhileWaiting(): EngineError {
  return new EngineError("cancelled", "the request was cancelled while waiting");
}
