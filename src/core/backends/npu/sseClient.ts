// POSTs a JSON request to an OpenAI-style server and yields the JSON of each server-sent event
// until `data: [DONE]`. Aborting `signal` closes the connection, which is how the server learns
// that the client is gone. Network failures are thrown as fetch throws them (a TypeError); the
// caller decides what they mean.
import { sseEvents } from "../../util/sseEvents";

/** The server answered with an error status; `message` is its `error.message` where it sent one. */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "HttpStatusError";
  }
}

/** Nothing arrived for `ms` milliseconds: the server is stuck. */
export class SilentServerError extends Error {
  constructor(readonly ms: number) {
    super(`nothing arrived for ${ms / 1000} s`);
    this.name = "SilentServerError";
  }
}

/** The response ended cleanly but without `data: [DONE]`. */
export class StreamCutError extends Error {
  constructor() {
    super("the event stream ended before data: [DONE]");
    this.name = "StreamCutError";
  }
}

/** Fails with SilentServerError when neither the answer nor a byte of it comes for `idleMs`. */
export async function* postEvents(url: string, body: object, signal: AbortSignal, idleMs: number): AsyncGenerator<unknown> {
  const idle = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(), idleMs).unref();
  };
  touch();
  try {
    for await (const event of readEvents(url, body, AbortSignal.any([signal, idle.signal]), touch)) {
      // Only the server's silence counts, not time spent by a slow reader.
      clearTimeout(timer);
      yield event;
      touch();
    }
  } catch (err) {
    throw idle.signal.aborted && !signal.aborted ? new SilentServerError(idleMs) : err;
  } finally {
    clearTimeout(timer);
  }
}

async function* readEvents(url: string, body: object, signal: AbortSignal, touch: () => void): AsyncGenerator<unknown> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify(body),
    signal,
  });
  if (!res.ok) throw new HttpStatusError(res.status, errorMessage(await res.text()) || res.statusText);
  // A server that ignores `stream: true` answers with one JSON body.
  if (!res.headers.get("content-type")?.includes("text/event-stream")) {
    yield parseJson(await res.text());
    return;
  }
  for await (const event of sseEvents(res.body as unknown as AsyncIterable<Uint8Array>, touch)) {
    // Event names, ids and comments carry nothing these servers use.
    if (event.data === "[DONE]") return;
    yield parseJson(event.data);
  }
  throw new StreamCutError();
}

/**
 * JSON.parse, forgiving raw control characters inside strings: ryzenai-server escapes only
 * quotes, backslashes and line breaks, so a generated tab arrives raw. Throws SyntaxError.
 */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    try {
      return JSON.parse(text.replace(/[\u0000-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
    } catch {
      throw new SyntaxError(`the runtime sent malformed JSON: ${text.slice(0, 200)}`);
    }
  }
}

/** OpenAI's `{"error": {"message"}}`, a bare `{"error": "…"}`, or the text itself. */
function errorMessage(text: string): string {
  try {
    const error = (JSON.parse(text) as { error?: unknown }).error;
    if (typeof error === "string") return error;
    const message = (error as { message?: unknown } | undefined)?.message;
    if (typeof message === "string") return message;
  } catch {
    // Not JSON: the text says what it says.
  }
  return text.trim().slice(0, 500);
}
