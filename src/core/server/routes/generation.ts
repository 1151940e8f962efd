// OpenAI's shape of a generation, JSON or SSE, for generationDriver.ts. Chat and completions differ
// only in object names and in how a piece of text sits in a choice, which `GenerationShape` holds.
import { randomBytes } from "node:crypto";
import type { Response } from "express";
import type { FinishReason, ToolCall } from "../../protocol/types";
import { sendError } from "../errors";
import { driveGeneration, type DrivenGeneration, type GenerationFormat, type GenerationResult } from "../generationDriver";
import { sseStreamWriter } from "../sse";

type ChoiceFields = Record<string, unknown>;

/** The engine's reasons, and "tool_calls" when the answer called tools. */
export type ChoiceFinishReason = FinishReason | "tool_calls";

export interface GenerationShape {
  /** "chatcmpl" or "cmpl", as OpenAI prefixes its ids. */
  idPrefix: string;
  object: string;
  chunkObject: string;
  /** Sent as the first chunk of a stream (chat: the assistant role). */
  opening?: ChoiceFields;
  /** A streamed piece of text. */
  piece(text: string): ChoiceFields;
  /** Streamed chunks announcing one tool call (chat only). */
  toolCall?(call: ToolCall, index: number): ChoiceFields[];
  /** The streamed chunk that carries finish_reason. */
  last(finishReason: ChoiceFinishReason): ChoiceFields;
  /** The single choice of a non-streamed response. */
  whole(text: string, finishReason: ChoiceFinishReason, toolCalls: ToolCall[]): ChoiceFields;
}

export interface GenerationJob extends DrivenGeneration {
  shape: GenerationShape;
  model: string;
  includeUsage: boolean;
}

export async function runGeneration(res: Response, job: GenerationJob): Promise<void> {
  await driveGeneration(res, job, openAiFormat(job));
}

/** OpenAI's chunks and answers for one request: one id, one creation time. */
function openAiFormat({ shape, model, includeUsage }: GenerationJob): GenerationFormat {
  const id = `${shape.idPrefix}-${randomBytes(12).toString("hex")}`;
  const created = Math.floor(Date.now() / 1000);
  const envelope = (object: string, choices: ChoiceFields[]) => ({ id, object, created, model, choices });
  const choice = ({ finish_reason = null, ...fields }: ChoiceFields) => ({ index: 0, ...fields, logprobs: null, finish_reason });
  const chunk = (fields: ChoiceFields) => ({
    ...envelope(shape.chunkObject, [choice(fields)]),
    // OpenAI puts `usage: null` on every chunk but the last when usage was asked for.
    ...(includeUsage && { usage: null }),
  });
  const finishReason = (result: GenerationResult): ChoiceFinishReason => (result.calls.length > 0 ? "tool_calls" : result.finishReason);
  const usage = ({ usage: u }: GenerationResult) => ({
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
    // OpenAI's field for prompt caching: here, the KV cache kept from the previous request.
    prompt_tokens_details: { cached_tokens: u.cachedTokens },
  });
  return {
    open: (res) => sseStreamWriter(res, "done"),
    opening: () => (shape.opening ? [chunk(shape.opening)] : []),
    piece: (text) => [chunk(shape.piece(text))],
    toolCall: (call, index) => (shape.toolCall?.(call, index) ?? []).map(chunk),
    last: (result) => [chunk(shape.last(finishReason(result))), ...(includeUsage ? [{ ...envelope(shape.chunkObject, []), usage: usage(result) }] : [])],
    whole: (result) => ({ ...envelope(shape.object, [choice(shape.whole(result.text, finishReason(result), result.calls))]), usage: usage(result) }),
    sendError,
  };
}
