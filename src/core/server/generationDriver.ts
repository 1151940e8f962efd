// Drives one engine stream into an HTTP response, streamed or whole, for every API: headers wait
// for the first event (so a refusal such as a full queue or a prompt too long keeps its real
// status instead of becoming an in-stream error) for a second, then go out with comments until it
// comes (a long prompt evaluation on a CPU or NPU, or a wait in the queue, must not look like a
// dead server to clients with idle timeouts), text and tool calls go out as they come, a
// client that hangs up (a closed editor, a cancelled completion) frees the engine at once, and a
// failure is told in the API's own shape. What differs between APIs, OpenAI's SSE chunks and
// Ollama's NDJSON lines, is a GenerationFormat.
import type { Response } from "express";
import { EngineError } from "../protocol/errors";
import type { FinishReason, ToolCall, Usage } from "../protocol/types";
import { toApiError, type ApiError } from "./errors";
import type { ChoiceEvent } from "./toolCalls";

/** How a generation ended, for the format's last chunk or whole answer. */
export interface GenerationResult {
  /** The whole text; empty when it was streamed. */
  text: string;
  /** Every tool call, streamed or not. */
  calls: ToolCall[];
  streamed: boolean;
  finishReason: FinishReason;
  /** The stop sequence that ended the answer, where one did. */
  stopSequence?: string;
  usage: Usage;
  /** process.hrtime.bigint() at the request's start, its first event and its end. */
  timing: { started: bigint; first: bigint; ended: bigint };
}

/** A stream once its headers are sent. */
export interface StreamWriter {
  send(data: unknown): Promise<void>;
  /** Ends the stream after the last chunk (with the API's end marker, if it has one). */
  close(): void;
  /** Headers are sent already, so a failure can only be told inside the stream. */
  fail(err: ApiError): void;
  /** Tells a waiting client the stream is alive without an event (an SSE comment); absent where the format has no such thing. */
  keepAlive?(): Promise<void>;
}

/** How long a stream's headers wait for its first event before they go out anyway. */
export const FIRST_EVENT_WAIT_MS = 1_000;
/** How often a stream still waiting for its first event tells the client it is alive. */
export const KEEPALIVE_MS = 2_000;

const IDLE = Symbol("idle");

/** One API's shape of a generation, made per request (ids and times are the request's). */
export interface GenerationFormat {
  open(res: Response): StreamWriter;
  /** Sent first in a stream (OpenAI's chat: the assistant role). */
  opening(): unknown[];
  /** The chunks carrying a piece of text (Anthropic's first one also opens a content block). */
  piece(text: string): unknown[];
  /** The chunks announcing one tool call in a stream; `index` counts the calls before it. */
  toolCall(call: ToolCall, index: number): unknown[];
  /** The chunks that end a stream. */
  last(result: GenerationResult): unknown[];
  /** The answer when not streamed. */
  whole(result: GenerationResult): unknown;
  /** A failure before anything was sent, with its status. */
  sendError(res: Response, err: ApiError): void;
}

export interface DrivenGeneration {
  stream: boolean;
  /** The request field a context overflow is blamed on. */
  promptParam: "messages" | "prompt";
  start(signal: AbortSignal): AsyncIterable<ChoiceEvent>;
}

export async function driveGeneration(res: Response, job: DrivenGeneration, format: GenerationFormat): Promise<void> {
  const controller = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  const started = process.hrtime.bigint();
  let writer: StreamWriter | undefined;
  try {
    const events = job.start(controller.signal)[Symbol.asyncIterator]();
    const next = events.next();
    // The first event comes once the prompt is evaluated and a token sampled.
    const first = job.stream
      ? await whileWaiting(next, async () => {
          writer ??= format.open(res);
          await writer.keepAlive?.();
        })
      : await next;
    const firstAt = process.hrtime.bigint();
    if (job.stream) {
      writer ??= format.open(res);
      for (const chunk of format.opening()) await writer.send(chunk);
    }
    let text = "";
    const calls: ToolCall[] = [];
    let done: Extract<ChoiceEvent, { type: "done" }> | undefined;
    for (let step = first; !step.done; step = await events.next()) {
      const event = step.value;
      if (event.type === "done") done = event;
      else if (event.type === "toolCall") {
        if (writer) for (const chunk of format.toolCall(event.call, calls.length)) await writer.send(chunk);
        calls.push(event.call);
      } else if (!writer) text += event.text;
      else if (event.text) for (const chunk of format.piece(event.text)) await writer.send(chunk);
    }
    if (!done) throw new EngineError("internal", "the generation ended without a result");
    const result: GenerationResult = {
      text,
      calls,
      streamed: writer !== undefined,
      finishReason: done.finishReason,
      ...(done.stopSequence !== undefined && { stopSequence: done.stopSequence }),
      usage: done.usage,
      timing: { started, first: firstAt, ended: process.hrtime.bigint() },
    };
    if (writer) {
      for (const chunk of format.last(result)) await writer.send(chunk);
      writer.close();
    } else if (!controller.signal.aborted) {
      res.json(format.whole(result));
    }
  } catch (err) {
    if (controller.signal.aborted) return; // The client is gone: there is no one to tell.
    const apiError = toApiError(err, job.promptParam);
    if (writer) writer.fail(apiError);
    else format.sendError(res, apiError);
  }
}

/** `next`'s value; `idle` runs after FIRST_EVENT_WAIT_MS without it, then every KEEPALIVE_MS. */
async function whileWaiting<T>(next: Promise<T>, idle: () => Promise<void>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    for (let wait = FIRST_EVENT_WAIT_MS; ; wait = KEEPALIVE_MS) {
      const elapsed = new Promise<typeof IDLE>((resolve) => (timer = setTimeout(resolve, wait, IDLE)));
      const winner = await Promise.race([next, elapsed]);
      if (winner !== IDLE) return winner as T;
      await idle();
    }
  } finally {
    clearTimeout(timer);
  }
}
