// How long a completion waits after a keystroke before it asks. Waiting saves work, not time: a
// request that the next keystroke supersedes is cancelled within a token, and the next one reuses
// its cache. So on mains power, with a model that answers fast, it asks at once (as llama.vim asks on
// every keystroke; `npm run bench:completions` measured this). Where work costs more, on battery or
// with a slow model whose tokens hold the next request up, it waits for a pause: the 75th percentile
// of the user's recent gaps between keystrokes within a burst, from a floor up to the configured
// debounce, doubled on battery. The configured debounce holds until the rhythm is known, and while
// the model answers slowly.

/** A longer gap is a pause, not part of a burst. */
const BURST_GAP_MS = 500;
/** Gaps remembered. */
const GAPS_KEPT = 32;
/** Gaps needed before the rhythm is trusted. */
const GAPS_NEEDED = 6;
/** Never shorter when waiting for a pause: a request per keystroke would cost more than it saves. */
export const MIN_DEBOUNCE_MS = 40;
/** The model answers fast when it takes no longer than this (from request to answer). */
const FAST_ANSWER_MS = 600;

export class TypingRhythm {
  private last: number | undefined;
  private readonly gaps: number[] = [];
  /** Unknown until the model has answered once. */
  private fast: boolean | undefined;

  keystroke(now = performance.now()): void {
    if (this.last !== undefined && now - this.last < BURST_GAP_MS) {
      this.gaps.push(now - this.last);
      if (this.gaps.length > GAPS_KEPT) this.gaps.shift();
    }
    this.last = now;
  }

  /** How long the model took to answer the last request. */
  answered(ms: number): void {
    this.fast = ms <= FAST_ANSWER_MS;
  }

  debounceMs(configured: number, onBattery: boolean): number {
    if (this.fast === true && !onBattery) return 0;
    return this.untilPause(configured) * (onBattery ? 2 : 1);
  }

  private untilPause(configured: number): number {
    if (this.fast !== true || this.gaps.length < GAPS_NEEDED) return configured;
    const sorted = [...this.gaps].sort((a, b) => a - b);
    const p75 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.75))]!;
    return Math.max(Math.min(MIN_DEBOUNCE_MS, configured), Math.min(configured, Math.round(p75)));
  }
}
