// How long a completion waits after a keystroke before it asks: long enough that most keystrokes
// of a burst are followed by the next before a request goes, and no longer. It follows the user's
// own rhythm (the 75th percentile of their recent gaps between keystrokes within a burst), from a
// floor up to the configured debounce. The configured debounce holds until the rhythm is known,
// and while the model answers slowly: a superseded request then holds the next one up for longer.

/** A longer gap is a pause, not part of a burst. */
const BURST_GAP_MS = 500;
/** Gaps remembered. */
const GAPS_KEPT = 32;
/** Gaps needed before the rhythm is trusted. */
const GAPS_NEEDED = 6;
/** Never shorter: a request per keystroke would cost more than it saves. */
export const MIN_DEBOUNCE_MS = 40;
/** The model answers fast when it takes no longer than this (from request to answer). */
const FAST_ANSWER_MS = 600;

export class TypingRhythm {
  private last: number | undefined;
  private readonly gaps: number[] = [];
  private slow = false;

  keystroke(now = performance.now()): void {
    if (this.last !== undefined && now - this.last < BURST_GAP_MS) {
      this.gaps.push(now - this.last);
      if (this.gaps.length > GAPS_KEPT) this.gaps.shift();
    }
    this.last = now;
  }

  /** How long the model took to answer the last request. */
  answered(ms: number): void {
    this.slow = ms > FAST_ANSWER_MS;
  }

  debounceMs(configured: number): number {
    if (this.slow || this.gaps.length < GAPS_NEEDED) return configured;
    const sorted = [...this.gaps].sort((a, b) => a - b);
    const p75 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.75))]!;
    return Math.max(Math.min(MIN_DEBOUNCE_MS, configured), Math.min(configured, Math.round(p75)));
  }
}
