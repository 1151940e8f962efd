// The server-sent events of a response body, read by eventsource-parser (the SSE rules: data
// lines joined, CRLF, comments, fields), for every client of an event stream in the project.
import { createParser, type EventSourceMessage } from "eventsource-parser";

/** Yields each event as it completes; `onBytes` is told whenever bytes arrive (for idle timers). */
export async function* sseEvents(body: AsyncIterable<Uint8Array>, onBytes?: () => void): AsyncGenerator<EventSourceMessage> {
  const decoder = new TextDecoder();
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  for await (const bytes of body) {
    onBytes?.();
    parser.feed(decoder.decode(bytes, { stream: true }));
    yield* events.splice(0);
  }
}
