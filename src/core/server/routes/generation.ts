// Drives one engine stream into an OpenAI response, JSON or SSE. Chat and completions differ
// only in object names and in how a piece of text sits in a choice, which `GenerationShape` holds.
import { randomBytes } from "node:crypto";
import type { Response } from "express";
import { EngineError } from "../../protocol/errors";
import type { FinishReason, ToolCall } from "../../protocol/types";
import { sendError, toApiError } from "../errors";
import { SseWriter } from "../sse";
import type { ChoiceEvent } from "../toolCalls";

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

export interface GenerationJob {
  shape: GenerationShape;
  model: string;
  stream: boolean;
  includeUsage: boolean;
  /** The request field a context overflow is blamed on. */
  promptParam: "messages" | "prompt";
  start(signal: AbortSignal): AsyncIterable<ChoiceEvent>;
}

export async function runGeneration(res: Response, job: GenerationJob): Promise<void> {
  const { shape } = job;
  // A client that hangs up (closed editor, cancelled completion) must free the engine at once.
  const controller = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) controller.abort();
  });

  const id = `${shape.idPrefix}-${randomBytes(12).toString("hex")}`;
  const created = Math.floor(Date.now() / 1000);
  const envelope = (object: string, choices: ChoiceFields[]) => ({ id, object, created, model: job.model, choices });
  const choice = ({ finish_reason = null, ...fields }: ChoiceFields) => ({ index: 0, ...fields, logprobs: null, finish_reason });
  const chunk = (fields: ChoiceFields) => ({
    ...envelope(shape.chunkObject, [choice(fields)]),
    // OpenAI puts `usage: null` on every chunk but the last when usage was asked for.
    ...(job.includeUsage && { usage: null }),
  });

  let sse: SseWriter | undefined;
  try {
    const events = job.start(controller.signal)[Symbol.asyncIterator]();
    // Headers wait for the first event: a refusal (queue full, prompt too long, a template that
    // rejects the messages) then keeps its real status instead of becoming an in-stream error.
    const first = await events.next();
    if (job.stream) {
      sse = new SseWriter(res);
      if (shape.opening) await sse.send(chunk(shape.opening));
    }

    let text = "";
    const calls: ToolCall[] = [];
    let done: Extract<ChoiceEvent, { type: "done" }> | undefined;
    for (let step = first; !step.done; step = await events.next()) {
      const event = step.value;
      if (event.type === "done") {
        done = event;
      } else if (event.type === "toolCall") {
        if (sse && shape.toolCall) for (const fields of shape.toolCall(event.call, calls.length)) await sse.send(chunk(fields));
        calls.push(event.call);
      } else if (event.text) {
        if (sse) await sse.send(chunk(shape.piece(event.text)));
        else text += event.text;
      }
    }
    if (!done) throw new EngineError("internal", "the generation ended without a result");
    const finishReason: ChoiceFinishReason = calls.length > 0 ? "tool_calls" : done.finishReason;

    const usage = {
      prompt_tokens: done.usage.promptTokens,
      completion_tokens: done.usage.completionTokens,
      total_tokens: done.usage.promptTokens + done.usage.completionTokens,
      // OpenAI's field for prompt caching: here, the KV cache kept from the previous request.
      prompt_tokens_details: { cached_tokens: done.usage.cachedTokens },
    };
    if (sse) {
      await sse.send(chunk(shape.last(finishReason)));
      if (job.includeUsage) await sse.send({ ...envelope(shape.chunkObject, []), usage });
      sse.done();
    } else if (!controller.signal.aborted) {
      res.json({ ...envelope(shape.object, [choice(shape.whole(text, finishReason, calls))]), usage });
    }
  } catch (err) {
    if (controller.signal.aborted) return; // The client is gone: there is no one to tell.
    const apiError = toApiError(err, job.promptParam);
    if (sse) sse.error(apiError);
    else sendError(res, apiError);
  }
}
