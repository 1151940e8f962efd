// Drives one engine stream into an Ollama response: NDJSON lines, or one object when not streamed.
// Chat and generate differ only in where the text goes (message.content or response).
import type { Response } from "express";
import { fromUser, userRequired } from "../../security";
import { EngineError } from "../../../protocol/errors";
import type { LoadedModel, ModelPool } from "../../../engine/modelPool";
import type { GenerationOptions, ToolCall } from "../../../protocol/types";
import { toApiError } from "../../errors";
import type { ChoiceEvent } from "../../toolCalls";
import { sendOllamaError } from "./errors";
import { NdjsonWriter } from "./ndjson";

type Fields = Record<string, unknown>;

export interface OllamaJob {
  /** The name the client used, echoed as Ollama does. */
  model: string;
  stream: boolean;
  /** The request field a context overflow is blamed on. */
  promptParam: "messages" | "prompt";
  /** The fields that carry a piece of text (or the whole text, or "" in the last streamed line), and tool calls. */
  text(text: string, calls?: ToolCall[]): Fields;
  start(signal: AbortSignal): AsyncIterable<ChoiceEvent>;
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
  // A client that hangs up (closed editor, cancelled completion) must free the engine at once.
  const controller = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) controller.abort();
  });

  const started = process.hrtime.bigint();
  let ndjson: NdjsonWriter | undefined;
  try {
    const events = job.start(controller.signal)[Symbol.asyncIterator]();
    // Headers wait for the first event: a refusal (queue full, prompt too long) then keeps its real status.
    const first = await events.next();
    if (job.stream) ndjson = new NdjsonWriter(res);
    // The first event comes once the prompt is evaluated and a token sampled: Ollama's split of the time.
    const firstAt = process.hrtime.bigint();

    let text = "";
    const calls: ToolCall[] = [];
    let done: Extract<ChoiceEvent, { type: "done" }> | undefined;
    for (let step = first; !step.done; step = await events.next()) {
      const event = step.value;
      if (event.type === "done") done = event;
      else if (event.type === "toolCall") {
        // Ollama sends a call as a line of its own; unstreamed, with the whole message.
        if (ndjson) await ndjson.send({ model: job.model, created_at: createdAt(), ...job.text("", [event.call]), done: false });
        else calls.push(event.call);
      } else if (!ndjson) text += event.text;
      else if (event.text) await ndjson.send({ model: job.model, created_at: createdAt(), ...job.text(event.text), done: false });
    }
    if (!done) throw new EngineError("internal", "the generation ended without a result");

    const ended = process.hrtime.bigint();
    const last = {
      model: job.model,
      created_at: createdAt(),
      ...job.text(text, calls),
      done: true,
      done_reason: done.finishReason,
      total_duration: elapsedNs(started, ended),
      // The model was loaded when the server started.
      load_duration: 0,
      prompt_eval_count: done.usage.promptTokens,
      prompt_eval_duration: elapsedNs(started, firstAt),
      eval_count: done.usage.completionTokens,
      // At least 1 ns: clients divide by it for tokens per second.
      eval_duration: Math.max(1, elapsedNs(firstAt, ended)),
    };
    if (ndjson) ndjson.end(last);
    else if (!controller.signal.aborted) res.json(last);
  } catch (err) {
    if (controller.signal.aborted) return; // The client is gone: there is no one to tell.
    const apiError = toApiError(err, job.promptParam);
    if (ndjson) ndjson.end({ error: apiError.message });
    else sendOllamaError(res, apiError);
  }
}
