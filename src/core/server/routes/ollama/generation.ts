// Ollama's shape of a generation for generationDriver.ts: NDJSON lines, or one object when not
// streamed; and keep_alive. Chat and generate differ only in where the text goes (message.content or response).
import type { Response } from "express";
import { fromUser, userRequired } from "../../security";
import type { LoadedModel, ModelPool } from "../../../engine/modelPool";
import type { GenerationOptions, ToolCall } from "../../../protocol/types";
import { driveGeneration, type DrivenGeneration, type GenerationFormat, type GenerationResult } from "../../generationDriver";
import { sendOllamaError } from "./errors";
import { NdjsonWriter } from "./ndjson";

type Fields = Record<string, unknown>;

export interface OllamaJob extends DrivenGeneration {
  /** The name the client used, echoed as Ollama does. */
  model: string;
  /** The fields that carry a piece of text (or the whole text, or "" in the last streamed line), and tool calls. */
  text(text: string, calls?: ToolCall[]): Fields;
}

const createdAt = () => new Date().toISOString();
const elapsedNs = (from: bigint, to: bigint) => Number(to - from);

/** Ollama lets num_predict exceed the context and stops at its end; the engine is not asked for more than fits. */
export function withContextLimit(options: GenerationOptions, contextSize: number): GenerationOptions {
  return options.maxTokens === undefined ? options : { ...options, maxTokens: Math.min(options.maxTokens, contextSize) };
}

/** keep_alive 0 unloads the model, which only the user may do (security.ts). */
export function checkKeepAlive(res: Response, keepAliveMs: number | undefined): void {
  if (keepAliveMs === 0 && !fromUser(res)) throw userRequired("keep_alive 0 (unloading the model)");
}

/** Ollama's answer to a request with nothing to generate: it loads the model, or with keep_alive 0 unloads it. */
export async function sendLoaded(res: Response, job: Pick<OllamaJob, "model" | "text">, pool: ModelPool, model: LoadedModel, keepAliveMs: number | undefined): Promise<void> {
  if (keepAliveMs === 0) await pool.unload(model.info.id);
  else keepAlive(pool, model, keepAliveMs);
  res.json({ model: job.model, created_at: createdAt(), ...job.text(""), done: true, done_reason: keepAliveMs === 0 ? "unload" : "load" });
}

/** The request's keep_alive, counted from when it is done. */
export function keepAlive(pool: ModelPool, model: LoadedModel, keepAliveMs: number | undefined): void {
  if (keepAliveMs !== undefined) pool.keepAlive(model.info.id, keepAliveMs);
}

export async function runOllamaGeneration(res: Response, job: OllamaJob): Promise<void> {
  await driveGeneration(res, job, ollamaFormat(job));
}

/** Ollama's lines and answers: each carries the model and the time; the last one the counts and durations. */
function ollamaFormat({ model, text }: OllamaJob): GenerationFormat {
  const line = (fields: Fields, done: boolean) => ({ model, created_at: createdAt(), ...fields, done });
  const final = ({ streamed, text: whole, calls, finishReason, usage, timing }: GenerationResult) =>
    line(
      {
        // Streamed, the text and the calls went out already, each call as a line of its own.
        ...text(whole, streamed ? [] : calls),
        done_reason: finishReason,
        total_duration: elapsedNs(timing.started, timing.ended),
        // The model was loaded when the server started.
        load_duration: 0,
        prompt_eval_count: usage.promptTokens,
        prompt_eval_duration: elapsedNs(timing.started, timing.first),
        eval_count: usage.completionTokens,
        // At least 1 ns: clients divide by it for tokens per second.
        eval_duration: Math.max(1, elapsedNs(timing.first, timing.ended)),
      },
      true,
    );
  return {
    open(res) {
      const ndjson = new NdjsonWriter(res);
      return { send: (data) => ndjson.send(data), close: () => ndjson.close(), fail: (err) => ndjson.end({ error: err.message }) };
    },
    opening: () => [],
    piece: (piece) => [line(text(piece), false)],
    toolCall: (call) => [line(text("", [call]), false)],
    last: (result) => [final(result)],
    whole: final,
    sendError: sendOllamaError,
  };
}
