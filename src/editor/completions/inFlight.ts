// The completion request the server is answering, which the next keystroke can take over
// (Continue's idea): when the user types what the model is generating, its answer still holds,
// less what was typed, and is sooner than a new request's. It is cancelled when the one who asked
// stops waiting, unless a newer request takes it over within a moment (the editor cancels a
// request before it asks again); at once when a newer request cannot take it; and as soon as what
// it generates parts from what was typed.

/** How long a request nobody waits for lives on, for the next keystroke to take over. */
export const TAKE_OVER_MS = 150;

export class InFlight {
  private generated = "";
  private readonly watchers = new Set<(generated: string) => void>();
  private readonly abort = new AbortController();
  private orphaned: NodeJS.Timeout | undefined;
  /** The shaped answer for the place it was asked at; undefined when there is none. */
  readonly answer: Promise<string | undefined>;

  /** `run` asks the server, reporting the raw text generated so far as it streams. */
  constructor(
    readonly prefix: string,
    readonly suffix: string,
    run: (signal: AbortSignal, onText: (generated: string) => void) => Promise<string | undefined>,
  ) {
    this.answer = run(this.abort.signal, (generated) => {
      this.generated = generated;
      for (const watch of this.watchers) watch(generated);
    }).finally(() => clearTimeout(this.orphaned));
  }

  /** The asker stopped waiting: cancel unless a newer request takes over within TAKE_OVER_MS. */
  release(): void {
    this.orphaned ??= setTimeout(() => this.cancel(), TAKE_OVER_MS);
  }

  cancel(): void {
    clearTimeout(this.orphaned);
    this.abort.abort();
  }

  /**
   * Takes it over for a request at `prefix` (this one's prefix and what was typed since) and the
   * same suffix: waits for its answer for as long as what it generates agrees with what was typed.
   * Undefined at once when it cannot; resolves undefined when the generation parts from the typed
   * text (and is cancelled) or `signal` aborts (and it is released again).
   */
  takeOver(prefix: string, suffix: string, signal: AbortSignal): Promise<string | undefined> | undefined {
    if (this.abort.signal.aborted || suffix !== this.suffix || prefix.length <= this.prefix.length || !prefix.startsWith(this.prefix)) return undefined;
    const typed = prefix.slice(this.prefix.length);
    if (!agrees(this.generated, typed)) return undefined;
    clearTimeout(this.orphaned);
    this.orphaned = undefined;
    return new Promise((resolve) => {
      const finish = (answer: string | undefined) => {
        this.watchers.delete(watch);
        signal.removeEventListener("abort", onAbort);
        resolve(answer);
      };
      const watch = (generated: string) => {
        if (agrees(generated, typed)) return;
        this.cancel();
        finish(undefined);
      };
      const onAbort = () => {
        this.release();
        finish(undefined);
      };
      this.watchers.add(watch);
      signal.addEventListener("abort", onAbort, { once: true });
      this.answer.then(finish, () => finish(undefined));
    });
  }
}

/** Whether the generation so far and the typed text could still be the same text. */
function agrees(generated: string, typed: string): boolean {
  return generated.startsWith(typed) || typed.startsWith(generated);
}
