// What a suggestion may be at a given place: one line when code follows the cursor on its line,
// several after a line that opens a block or on an empty line; trimmed to that, and dropped when
// it only repeats what follows the cursor or is blank.

export type CompletionMode = "single-line" | "multi-line";

/** Characters before the cursor sent with a request (about 800 tokens of code; the first request in a file evaluates them all). */
const PREFIX_CHARS = 3000;
/**
 * Characters after it (about 40 tokens of code). The suffix stays cached while the user types on
 * a line, but follows the prefix in the prefix-suffix-middle layout, so it is evaluated again at
 * each new line. `npm run bench:completions` on a 2-core CPU (BENCH_SUFFIX_CHARS), the model's
 * answers p50/p95: 160 characters 297/462 ms, 480 278/679, 1000 291/1345 (235 tokens at a new line).
 */
export const SUFFIX_CHARS = 160;
/** The prefix window starts on a line boundary that moves in steps of this many characters. */
export const WINDOW_STEP = 1024;

const MAX_LINES = 8;

/**
 * The text sent around the cursor. The prefix starts at a line boundary that stays put while the
 * user types (it moves only in steps of WINDOW_STEP), so consecutive requests share their start and
 * the server reuses its KV cache for it.
 */
export function contextWindow(text: string, offset: number, suffixChars = SUFFIX_CHARS): { prefix: string; suffix: string } {
  const earliest = Math.max(0, offset - PREFIX_CHARS);
  let start = Math.floor(earliest / WINDOW_STEP) * WINDOW_STEP;
  if (start > 0) {
    const lineStart = text.indexOf("\n", start - 1) + 1;
    start = lineStart > 0 && lineStart <= offset ? lineStart : start;
  }
  return { prefix: text.slice(start, offset), suffix: text.slice(offset, offset + suffixChars) };
}

/** `lineBefore` and `lineAfter` are the cursor's line on either side of it. */
export function completionMode(lineBefore: string, lineAfter: string): CompletionMode {
  if (lineAfter.trim() !== "" && !/^[\s)\]}>"'`;,]*$/.test(lineAfter)) return "single-line";
  if (lineBefore.trim() === "" || /[{(\[:]\s*$|=>\s*$/.test(lineBefore)) return "multi-line";
  return "single-line";
}

/**
 * What a request may spend, by mode, halved on battery: tokens, generation time from the first
 * token (the server then answers with what it has), and a timeout for the whole request.
 */
export function budget(mode: CompletionMode, onBattery: boolean): { maxTokens: number; maxPredictMs: number; timeoutMs: number } {
  // A line of code is rarely over 16 tokens; each token costs 20-40 ms on a laptop CPU, so the
  // time budget is what bounds a suggestion's latency there (npm run bench:completions).
  const base = mode === "single-line" ? { maxTokens: 16, maxPredictMs: 300, timeoutMs: 2500 } : { maxTokens: 64, maxPredictMs: 1200, timeoutMs: 5000 };
  return onBattery ? { ...base, maxTokens: Math.ceil(base.maxTokens / 2), maxPredictMs: base.maxPredictMs / 2 } : base;
}

/** Stop strings for the request, so the server stops where the suggestion would be cut anyway. */
export function stops(mode: CompletionMode): string[] {
  return mode === "single-line" ? ["\n"] : ["\n\n\n"];
}

/** The suggestion as shown, or undefined when there is nothing worth showing. */
export function shapeCompletion(raw: string, mode: CompletionMode, textAfter: string): string | undefined {
  let text = mode === "single-line" ? raw.split("\n")[0]! : raw.split("\n").slice(0, MAX_LINES).join("\n");
  text = text.replace(/\s+$/, "");
  if (text.trim() === "") return undefined;
  if (repeatsFollowing(text, textAfter)) return undefined;
  return text;
}

/** Whether the suggestion only repeats text that follows the cursor: the rest of its line, or the next lines. */
export function repeatsFollowing(text: string, textAfter: string): boolean {
  const [restOfLine = "", ...below] = textAfter.split("\n");
  const suggested = nonEmptyLines(text);
  const next = nonEmptyLines(below.join("\n"));
  if (suggested.length === 0) return false;
  if (suggested.length === 1 && restOfLine.trim() !== "" && restOfLine.trim().startsWith(suggested[0]!)) return true;
  return suggested.every((line, i) => next[i] === line);
}

function nonEmptyLines(text: string): string[] {
  return text.split("\n").map((l) => l.trim()).filter(Boolean);
}
