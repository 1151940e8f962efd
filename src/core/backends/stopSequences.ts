// Finds stop sequences in streamed text. Text that might be the start of a stop sequence is
// held back until the next piece shows whether it is one, so no stop text ever leaks out.

export class StopSequences {
  private held = "";

  constructor(private readonly stops: readonly string[]) {}

  /** Returns the text that is safe to release, and whether a stop sequence was reached (and which). */
  push(text: string): { text: string; stopped: boolean; sequence?: string } {
    const all = this.held + text;
    let cut = -1;
    let sequence = "";
    for (const stop of this.stops) {
      const at = all.indexOf(stop);
      if (at !== -1 && (cut === -1 || at < cut)) [cut, sequence] = [at, stop];
    }
    if (cut !== -1) {
      this.held = "";
      return { text: all.slice(0, cut), stopped: true, sequence };
    }
    const keep = this.partialMatchLength(all);
    this.held = all.slice(all.length - keep);
    return { text: all.slice(0, all.length - keep), stopped: false };
  }

  /** What is held back when the generation ends without a stop. */
  flush(): string {
    const rest = this.held;
    this.held = "";
    return rest;
  }

  /** Length of the longest end of `text` that is a proper start of some stop sequence. */
  private partialMatchLength(text: string): number {
    let longest = 0;
    for (const stop of this.stops) {
      for (let n = Math.min(stop.length - 1, text.length); n > longest; n--) {
        if (text.endsWith(stop.slice(0, n))) {
          longest = n;
          break;
        }
      }
    }
    return longest;
  }
}
