// Which messages of a conversation fit in the model's context window. The rule, shown to the user
// when it applies: the newest message and its context are always sent; older messages are left
// out, oldest first, once the conversation no longer fits beside the room kept for the answer.

/** Tokens a chat template adds around each message (ChatML takes 5; others take a few more). */
export const MESSAGE_OVERHEAD = 8;

/** Room kept for the answer: a quarter of the window, at most 1024 tokens. */
export function answerReserve(window: number): number {
  return Math.min(1024, Math.floor(window / 4));
}

export interface Fit {
  /** Index of the first message sent; those before it are left out. */
  first: number;
  /** Tokens the sent messages take, template included. */
  used: number;
  reserve: number;
}

/**
 * `tokens[i]` is message i's size. Without a window (no model loaded) everything counts as sent.
 * The sent part never starts with an answer: a model reads a conversation from a user's turn.
 */
export function fitToWindow(tokens: readonly number[], roles: readonly string[], window: number | null): Fit {
  const size = (i: number) => tokens[i]! + MESSAGE_OVERHEAD;
  if (window === null) return { first: 0, used: tokens.reduce((sum, _, i) => sum + size(i), 0), reserve: 0 };
  const reserve = answerReserve(window);
  let first = tokens.length;
  let used = 0;
  while (first > 0) {
    const next = used + size(first - 1);
    if (next > window - reserve && first < tokens.length) break;
    used = next;
    first--;
  }
  while (first < tokens.length - 1 && roles[first] !== "user") used -= size(first++);
  return { first, used, reserve };
}
