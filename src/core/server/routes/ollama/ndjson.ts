// Ollama's streaming: one JSON object a line (application/x-ndjson), no SSE framing and no end marker;
// the last object says `done: true`, or `error` when the request failed after the stream began.
import type { Response } from "express";
import { drainedOrClosed } from "../../sse";

export class NdjsonWriter {
  /** Sends the headers at once, so clients see the response start before the first token. */
  constructor(private readonly res: Response) {
    // No-cache and no proxy buffering, as for SSE: each line should reach the client when written.
    res.writeHead(200, { "Content-Type": "application/x-ndjson", "Cache-Control": "no-cache", "X-Accel-Buffering": "no" }).flushHeaders();
    // Nagle's algorithm would hold small token lines back waiting for more data.
    res.socket?.setNoDelay(true);
  }

  /** True once the client went away (or was cut for not reading) or the stream was ended. */
  get isClosed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  /** Resolves when the line is handed to the socket; waits while the client reads slower than we generate. */
  async send(data: unknown): Promise<void> {
    // A client that hung up destroys the response; writing on would only fill a dead buffer.
    if (this.isClosed) return;
    if (!this.res.write(`${JSON.stringify(data)}\n`)) await drainedOrClosed(this.res);
  }

  /** Ends the stream after its last line. */
  close(): void {
    if (!this.isClosed) this.res.end();
  }

  /** Ends the stream with a last line. */
  end(data: unknown): void {
    if (!this.isClosed) this.res.end(`${JSON.stringify(data)}\n`);
  }
}
