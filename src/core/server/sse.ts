// Server-sent events in the OpenAI dialect: `data: <json>\n\n` events, ended by `data: [DONE]`.
import type { Response } from "express";
import { errorBody, type ApiError } from "./errors";
import type { StreamWriter } from "./generationDriver";

export class SseWriter {
  private closed = false;

  /** Sends the headers at once, so clients see the response start before the first token. */
  constructor(private readonly res: Response) {
    res.once("close", () => {
      this.closed = true;
    });
    res.status(200).set({
      "Content-Type": "text/event-stream",
      "Cache-Control": "no-cache",
      // Stops nginx-style reverse proxies from buffering the stream.
      "X-Accel-Buffering": "no",
    });
    res.flushHeaders();
    // Nagle's algorithm would hold small token events back waiting for more data.
    res.socket?.setNoDelay(true);
  }

  /** True once the client went away or the stream was ended. */
  get isClosed(): boolean {
    return this.closed || this.res.writableEnded;
  }

  /** Resolves when the event is handed to the socket; waits while the client reads slower than we generate. */
  async send(data: unknown): Promise<void> {
    if (this.isClosed) return;
    if (!this.res.write(`data: ${JSON.stringify(data)}\n\n`)) await drainedOrClosed(this.res);
  }

  /** A named event (`event: <name>`), as Lemonade's pull progress sends them. */
  async sendEvent(name: string, data: unknown): Promise<void> {
    if (this.isClosed) return;
    if (!this.res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`)) await drainedOrClosed(this.res);
  }

  /** A comment line, which SSE clients skip: the stream is alive, with nothing to say yet. */
  async comment(text: string): Promise<void> {
    if (this.isClosed) return;
    if (!this.res.write(`: ${text}\n\n`)) await drainedOrClosed(this.res);
  }

  /** Ends the stream without OpenAI's [DONE] marker. */
  end(): void {
    if (!this.isClosed) this.res.end();
  }

  done(): void {
    if (!this.isClosed) this.res.end("data: [DONE]\n\n");
  }

  /** Headers are already sent, so a failure can only be reported inside the stream. */
  error(err: ApiError): void {
    if (!this.isClosed) this.res.end(`data: ${JSON.stringify(errorBody(err))}\n\n`);
  }
}

/** A generation's SSE stream, ended by OpenAI's [DONE], or by nothing as llama.cpp's routes end theirs. */
export function sseStreamWriter(res: Response, ending: "done" | "none"): StreamWriter {
  const sse = new SseWriter(res);
  return {
    send: (data) => sse.send(data),
    close: () => (ending === "done" ? sse.done() : sse.end()),
    fail: (err) => sse.error(err),
    keepAlive: () => sse.comment("waiting for the first token"),
  };
}

/**
 * A generation's stream of named events (`event: <type>`), as Anthropic's and the Responses API's
 * are: each chunk names itself in `type`; a failure and a keep-alive are events of the API's own.
 */
export function namedEventStreamWriter(res: Response, events: { failure(err: ApiError): { type: string }; keepAlive(): { type: string } }): StreamWriter {
  const sse = new SseWriter(res);
  const send = (data: unknown) => sse.sendEvent((data as { type: string }).type, data);
  return {
    send,
    close: () => sse.end(),
    fail: (err) => void send(events.failure(err)).then(() => sse.end()),
    keepAlive: () => send(events.keepAlive()),
  };
}

/**
 * How long a client may leave a stream unread once the socket's buffers are full: then it is cut,
 * which cancels its generation, rather than held open for a reader that is gone.
 */
export const STALLED_READER_MS = 60_000;

/** Resolves once the socket wants more data, or the client is gone (or cut for not reading). Shared with the NDJSON writer. */
export function drainedOrClosed(res: Response): Promise<void> {
  const limit = (res.app?.locals.stalledReaderMs as number | undefined) ?? STALLED_READER_MS;
  return new Promise((resolve) => {
    const settle = (): void => {
      clearTimeout(timer);
      res.off("drain", settle);
      res.off("close", settle);
      resolve();
    };
    const timer = setTimeout(() => {
      res.destroy();
      settle();
    }, limit);
    res.on("drain", settle);
    res.on("close", settle);
  });
}
