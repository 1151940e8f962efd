// One streamed request as a benchmark client sees it: when each piece of text arrived, and how
// many tokens the server says it generated. node:http rather than fetch: the client shares the
// two cores with the model, so it stays light.
import http from "node:http";

export interface Streamed {
  status: number;
  /** When each event carrying text arrived (performance.now()). */
  stamps: number[];
  /** The server's count where it gives one (usage, or llama.cpp's tokens_predicted), else the events with text. */
  tokens: number;
  start: number;
  end: number;
}

type Event = {
  choices?: Array<{ text?: string; delta?: { content?: string } }>;
  usage?: { completion_tokens?: number } | null;
  content?: string;
  tokens_predicted?: number;
};

/**
 * POSTs `body` to `url` and reads its SSE stream (OpenAI's, or llama.cpp's /infill) to the end or
 * until `signal` aborts; `onText` is told how many events with text have arrived so far.
 */
export function streamRequest(url: string, body: object, signal?: AbortSignal, onText?: (events: number) => void): Promise<Streamed> {
  const start = performance.now();
  const stamps: number[] = [];
  let counted: number | undefined;
  let buffered = "";
  return new Promise<Streamed>((resolve, reject) => {
    const finish = (status: number) => resolve({ status, stamps, tokens: counted ?? stamps.length, start, end: performance.now() });
    const payload = JSON.stringify(body);
    const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(payload) };
    // A connection of its own: llama-server closes idle kept-alive ones under a reusing client.
    const req = http.request(url, { method: "POST", headers, signal, agent: false }, (res) => {
      res.setEncoding("utf8");
      if (res.statusCode !== 200) {
        res.resume();
        res.on("end", () => finish(res.statusCode ?? 0));
        return;
      }
      res.on("data", (text: string) => {
        const now = performance.now();
        buffered += text;
        let end: number;
        while ((end = buffered.indexOf("\n\n")) >= 0) {
          const data = buffered.slice(0, end).replace(/^data: /, "");
          buffered = buffered.slice(end + 2);
          if (data === "[DONE]" || data.trim() === "") continue;
          const event = JSON.parse(data) as Event;
          const choice = event.choices?.[0];
          if (choice?.text || choice?.delta?.content || event.content) {
            stamps.push(now);
            onText?.(stamps.length);
          }
          counted = event.usage?.completion_tokens ?? event.tokens_predicted ?? counted;
        }
      });
      res.on("end", () => finish(200));
      res.on("error", (err) => (signal?.aborted ? finish(200) : reject(err)));
    });
    req.on("error", (err) => (signal?.aborted ? finish(0) : reject(err)));
    req.end(payload);
  });
}
