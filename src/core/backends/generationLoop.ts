// From generated tokens to events, the same way for every backend that samples in TypeScript or
// drives its runtime token by token: text released only as whole characters, stop sequences held
// back and cut off, the token limit and the time budget, and each token counted once.
import type { FinishReason, GenerationEvent, Usage } from "../protocol/types";
import { StopSequences } from "./stopSequences";
import { TextStream } from "./textStream";
import { TimeBudget } from "./timeBudget";

/** `T`: the runtime's token type. */
export interface LoopSettings<T extends number> {
  /** The tokenizer's text of some tokens, special tokens left out. */
  decode(tokens: T[]): string;
  /** End-of-generation tokens: they end the answer and are not part of it. */
  isEnd(token: T): boolean;
  maxTokens: number;
  stop: readonly string[];
  /** The request's time budget (t_max_predict_ms); it ends the answer as it is. */
  maxPredictMs: number | undefined;
  /** Whitespace at the very end of the answer is dropped (a JSON grammar's padding). */
  trimTrailingWhitespace?: boolean;
  usage: Omit<Usage, "completionTokens">;
  signal: AbortSignal;
}

/**
 * Pulls tokens from `tokens` only while the answer goes on, so that a backend never computes a
 * token past the end; the source is closed however the loop ends.
 */
export async function* generationEvents<T extends number>(tokens: AsyncIterator<T>, settings: LoopSettings<T>): AsyncGenerator<GenerationEvent> {
  const { signal } = settings;
  const text = new TextStream<T>(settings.decode);
  const stops = new StopSequences(settings.stop);
  const tail = new HeldWhitespace(settings.trimTrailingWhitespace ?? false);
  const budget = new TimeBudget(settings.maxPredictMs);
  let completionTokens = 0;
  let unreported = 0;
  let finishReason: FinishReason = "length";
  let stopped = false;
  let stopSequence: string | undefined;
  try {
    while (completionTokens < settings.maxTokens && !budget.spent) {
      signal.throwIfAborted();
      const next = await tokens.next();
      signal.throwIfAborted();
      if (next.done || settings.isEnd(next.value)) {
        finishReason = "stop";
        break;
      }
      budget.tokenGenerated();
      completionTokens++;
      unreported++;
      const piece = stops.push(text.push(next.value));
      const released = tail.push(piece.text);
      if (released) {
        yield { type: "text", text: released, tokens: unreported };
        unreported = 0;
      }
      if (piece.stopped) {
        stopped = true;
        stopSequence = piece.sequence;
        break;
      }
    }
  } finally {
    budget.dispose();
    await tokens.return?.();
  }
  let rest = "";
  if (!stopped) {
    // Release what was held back: a partial character at the very end, or a partial stop sequence.
    const last = stops.push(text.flush());
    stopped = last.stopped;
    stopSequence = last.sequence;
    rest = stopped ? last.text : last.text + stops.flush();
  }
  rest = tail.end(rest);
  // Sent even when empty, so that every generated token is counted once.
  if (rest || unreported) yield { type: "text", text: rest, tokens: unreported };
  if (stopped) finishReason = "stop";
  yield { type: "done", finishReason, usage: { ...settings.usage, completionTokens }, ...(stopSequence !== undefined && { stopSequence }) };
}

/** Holds whitespace back until more text follows it, so that trailing whitespace can be dropped at the end. */
class HeldWhitespace {
  private held = "";

  constructor(private readonly enabled: boolean) {}

  push(text: string): string {
    if (!this.enabled) return text;
    const all = this.held + text;
    const end = all.trimEnd().length;
    this.held = all.slice(end);
    return all.slice(0, end);
  }

  end(text: string): string {
    const all = this.push(text);
    this.held = "";
    return all;
  }
}
