// Reuse of a sequence's KV cache past the first difference, for completions (llama.cpp server's
// --cache-reuse): runs of cached tokens that the new prompt holds further on, such as the code
// below the old prefix window's start once the window moves on, or what follows a deletion, are
// moved back to their new positions instead of being evaluated again. The moved tokens keep the
// keys and values computed after the old text, as llama.cpp's server accepts too.
//
// Runs move only back: llama.cpp evaluates a sequence's tokens only after its last cached position,
// so a run cannot be moved forward to make room for new tokens in front of it. Typing therefore
// goes at the prompt's end: the editor sends the cursor's line after the middle marker
// (llama.cpp's /infill `prompt`), and a keystroke evaluates only the typed characters.
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import type { ContextGate } from "./contextGate";

/** The shortest run worth moving (llama-server's --cache-reuse size): a shorter one saves less than it risks. */
export const MIN_REUSED_RUN = 16;

/** Ranges of the cache to erase (in its positions before any erasing), and how many prompt tokens it then holds. */
export interface ReusePlan {
  erase: { start: number; end: number }[];
  kept: number;
}

/**
 * llama.cpp's walk: past the common start, each run of at least `minRun` tokens that continues the
 * prompt where it has got to is kept, and the cache between runs erased; the prompt's tokens are
 * never skipped, so what is kept is the prompt's start.
 */
export function planReuse<T>(cached: readonly T[], prompt: readonly T[], minRun = MIN_REUSED_RUN): ReusePlan {
  let common = 0;
  while (common < cached.length && common < prompt.length && cached[common] === prompt[common]) common++;
  const erase: ReusePlan["erase"] = [];
  let atCache = common;
  let atPrompt = common;
  let erasedFrom = common;
  while (atCache < cached.length && atPrompt < prompt.length) {
    let length = 0;
    while (atCache + length < cached.length && atPrompt + length < prompt.length && cached[atCache + length] === prompt[atPrompt + length]) length++;
    if (length < minRun) {
      atCache++;
      continue;
    }
    if (atCache > erasedFrom) erase.push({ start: erasedFrom, end: atCache });
    atCache += length;
    atPrompt += length;
    erasedFrom = atCache;
  }
  if (cached.length > erasedFrom) erase.push({ start: erasedFrom, end: cached.length });
  return { erase, kept: atPrompt };
}

/**
 * Makes the sequence's cache hold what it can of `kept` (the prompt but its last token): the common
 * start, and with `moveRuns` also the runs found further on. Returns how many of `kept` it holds.
 */
export async function reuseCache(sequence: LlamaContextSequence, kept: Token[], gate: ContextGate, moveRuns: boolean): Promise<number> {
  const { firstDifferentIndex } = sequence.compareContextTokens(kept);
  if (firstDifferentIndex >= sequence.nextTokenIndex) return sequence.nextTokenIndex;
  // Erasing from position 0 makes node-llama-cpp evaluate everything kept again: nothing to gain then.
  const plan = moveRuns && firstDifferentIndex > 0 ? planReuse(sequence.contextTokens, kept) : undefined;
  await gate.edit(() => (plan && plan.kept > firstDifferentIndex ? sequence.eraseContextTokenRanges(plan.erase) : sequence.adaptStateToTokens(kept, false)));
  return sequence.nextTokenIndex;
}
