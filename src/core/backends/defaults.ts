// Choices every backend makes the same way.
import { EngineError } from "../protocol/errors";
import type { ExtraChunk, ModelSlots } from "../protocol/types";

/** Context size when none is configured: enough for chat with code, modest on a laptop. */
export const DEFAULT_MAX_CONTEXT = 8192;
/** Backends that run one generation at a time: completions go first in the queue. */
export const ONE_AT_A_TIME: ModelSlots = { generation: 1, fim: 0 };
/** How many recent tokens the repeat/presence/frequency penalties look at. */
export const PENALTY_WINDOW = 64;

/** FIM markers as token ids, or as their spellings where a runtime takes the prompt as text. */
export interface FimMarkers<T> {
  prefix: T;
  suffix: T;
  /** Models without a middle marker take suffix first (Codestral's [SUFFIX] … [PREFIX] …). */
  middle: T | null;
  /** The family was trained on suffix-first prompts too (suffixFirstTrained). */
  suffixFirst: boolean;
}

/**
 * Whether a family with this prefix marker was also trained suffix-first, in the FIM paper's "SPM
 * variant 2" (CodeLlama's <PRE>, StarCoder's <fim_prefix>). Qwen2.5-Coder and DeepSeek-Coder
 * were trained prefix-suffix-middle only.
 */
export function suffixFirstTrained(prefixSpelling: string): boolean {
  return ["<PRE>", "<fim_prefix>"].includes(prefixSpelling.replace(/^[\s▁]+/, ""));
}

/**
 * The infill prompt. Suffix first wherever the model knows it: typing then changes only the
 * prompt's end, so each keystroke evaluates a token or two. Prefix first (PSM) keeps the code
 * above the cursor cached, but the suffix after it is evaluated again on every request.
 * `middle`, the start of the answer already typed (llama.cpp's /infill `prompt`, the cursor's
 * line so far), goes last in every layout, as llama.cpp puts it: typing along a line then changes
 * only the prompt's end even prefix first.
 */
export function fimPrompt<T>(fim: FimMarkers<T>, before: T[], after: T[], middle: T[] = []): T[] {
  if (fim.middle == null) return [fim.suffix, ...after, fim.prefix, ...before, ...middle];
  if (fim.suffixFirst) return [fim.prefix, fim.suffix, ...after, fim.middle, ...before, ...middle];
  return [fim.prefix, ...before, fim.suffix, ...after, fim.middle, ...middle];
}

/** The token that separates files in a model's repository format (Qwen2.5-Coder's). */
export const FILE_SEPARATOR = "<|file_sep|>";

/**
 * A FIM prompt with chunks of other files before it, so they stay cached while the user types:
 * each after the model's file separator where it has one (Qwen2.5-Coder's repository format,
 * the current file getting a separator of its own), else as plain text.
 */
export function withExtraContext<T>(fim: T[], extra: ExtraChunk[] | undefined, encode: (text: string) => T[], fileSeparator: T | undefined): T[] {
  if (!extra?.length) return fim;
  if (fileSeparator === undefined) return [...extra.flatMap((c) => encode(`${c.filename}\n${c.text}\n\n`)), ...fim];
  return [...extra.flatMap((c) => [fileSeparator, ...encode(`${c.filename}\n${c.text}\n`)]), fileSeparator, ...fim];
}

export function noFimTokens(): EngineError {
  return new EngineError("invalid_request", "this model has no fill-in-the-middle tokens; send the prompt without `suffix`");
}

/** Every backend refuses an empty prompt and one that leaves no room in the context. */
export function checkPrompt(tokens: number, contextSize: number): void {
  if (tokens === 0) throw new EngineError("invalid_request", "the prompt is empty");
  if (tokens >= contextSize) throw promptTooLong(tokens, contextSize);
}

export function promptTooLong(tokens: number, limit: number, what = "context"): EngineError {
  return new EngineError(
    "context_length_exceeded",
    `the prompt is ${tokens} tokens, more than this model's ${what} of ${limit} tokens allows`,
  );
}

/** The backends that only generate text answer embedding and reranking requests with this. */
export function textOnly(runtime: string): EngineError {
  return new EngineError("invalid_request", `${runtime} models here generate text; embeddings and reranking need a GGUF embedding or reranking model on llama.cpp`);
}
