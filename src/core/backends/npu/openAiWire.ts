// The OpenAI wire format as the runtime servers speak it: the engine's options in OpenAI's names,
// and what one response chunk carries (streamed chat, streamed completion, or a whole response).
import { z } from "zod";
import type { FinishReason, GenerationOptions } from "../../protocol/types";

/** The request fields for `options`; absent options are left to the runtime's defaults. */
export function samplingFields(o: GenerationOptions): Record<string, unknown> {
  const fields = {
    max_tokens: o.maxTokens,
    temperature: o.temperature,
    top_p: o.topP,
    top_k: o.topK,
    seed: o.seed,
    stop: o.stop?.length ? o.stop : undefined,
    presence_penalty: o.presencePenalty,
    frequency_penalty: o.frequencyPenalty,
    // Not OpenAI's, but ryzenai-server and llama.cpp-style servers read it.
    repeat_penalty: o.repeatPenalty,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

const text = z.string().nullish();

const chunkSchema = z.looseObject({
  choices: z
    .array(
      z.looseObject({
        /** Streamed chat. */
        delta: z.looseObject({ content: text }).nullish(),
        /** A whole chat response. */
        message: z.looseObject({ content: text }).nullish(),
        /** Completions, streamed or whole. */
        text,
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: z
    .looseObject({
      prompt_tokens: z.number().int().nonnegative().optional(),
      completion_tokens: z.number().int().nonnegative().optional(),
      prompt_tokens_details: z.looseObject({ cached_tokens: z.number().int().nonnegative().optional() }).nullish(),
    })
    .nullish(),
  /** ryzenai-server reports a failure inside the stream this way. */
  error: z.union([z.string(), z.looseObject({ message: z.string() })]).optional(),
});

export interface ChunkReading {
  text: string;
  finishReason: string | undefined;
  usage: { promptTokens?: number; completionTokens?: number; cachedTokens?: number } | undefined;
  /** The runtime's own error message. */
  error: string | undefined;
}

/** Throws Error naming what is wrong when the chunk is not shaped like OpenAI's. */
export function readChunk(json: unknown): ChunkReading {
  const parsed = chunkSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(top level)"}: ${i.message}`);
    throw new Error(`the runtime sent an unexpected chunk (${problems.join("; ")})`);
  }
  const { choices, usage, error } = parsed.data;
  const choice = choices?.[0];
  return {
    text: choice?.delta?.content ?? choice?.message?.content ?? choice?.text ?? "",
    finishReason: choice?.finish_reason ?? undefined,
    usage: usage
      ? {
          promptTokens: usage.prompt_tokens,
          completionTokens: usage.completion_tokens,
          cachedTokens: usage.prompt_tokens_details?.cached_tokens,
        }
      : undefined,
    error: typeof error === "string" ? error : error?.message,
  };
}

/**
 * ryzenai-server marks its last token "stop" whatever ended the generation, so reaching
 * max_tokens counts as "length" whatever the runtime says.
 */
export function finishReason(reported: string | undefined, completionTokens: number, maxTokens: number | undefined): FinishReason {
  return reported === "length" || (maxTokens !== undefined && completionTokens >= maxTokens) ? "length" : "stop";
}
