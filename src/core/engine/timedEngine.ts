// An Engine that times each generation it passes through, for Lemonade's /stats ("the last
// request"), and counts those being read. A decorator, so the routes and the worker stay unaware of it.
import type { Engine, EngineHealth, EngineStats } from "../protocol/engine";
import type { ChatMessage, EmbedInput, EmbedOptions, Embeddings, GenerationEvent, GenerationOptions, LoadSpec, ModelInfo, Ranking, TokenizeInput } from "../protocol/types";

export interface RequestTimings {
  /** Seconds from the call (queue wait included) to the first text. */
  timeToFirstToken: number;
  /** Tokens after the first text, per second from it to the end; 0 when there were none. */
  tokensPerSecond: number;
  /** The prompt's tokens, cached ones included. */
  inputTokens: number;
  cachedTokens: number;
  outputTokens: number;
}

/** The last finished generation, shared by the engines of several models. */
export class RequestTimer {
  last: RequestTimings | undefined;
}

export class TimedEngine implements Engine {
  private running = 0;

  constructor(
    private readonly inner: Engine,
    private readonly timer = new RequestTimer(),
  ) {}

  get model(): ModelInfo | undefined {
    return this.inner.model;
  }

  /** The last generation that finished, of any engine sharing the timer; cancelled and failed ones are not counted. */
  lastRequest(): RequestTimings | undefined {
    return this.timer.last;
  }

  /** Generations being read now: what an editor's status bar shows as "generating". */
  inFlight(): number {
    return this.running;
  }

  load(spec: LoadSpec): Promise<ModelInfo> {
    return this.inner.load(spec);
  }

  unload(): Promise<void> {
    return this.inner.unload();
  }

  tokenize(input: TokenizeInput): Promise<number[]> {
    return this.inner.tokenize(input);
  }

  embed(inputs: EmbedInput[], options: EmbedOptions, signal?: AbortSignal): Promise<Embeddings> {
    return this.inner.embed(inputs, options, signal);
  }

  rank(query: string, documents: string[], options: EmbedOptions, signal?: AbortSignal): Promise<Ranking> {
    return this.inner.rank(query, documents, options, signal);
  }

  // The inner call runs now, so queue_full and no_model are still thrown at once, not on reading.
  chat(messages: ChatMessage[], options: GenerationOptions, signal?: AbortSignal): AsyncIterable<GenerationEvent> {
    return this.timed(performance.now(), this.inner.chat(messages, options, signal));
  }

  complete(prompt: string, options: GenerationOptions, signal?: AbortSignal): AsyncIterable<GenerationEvent> {
    return this.timed(performance.now(), this.inner.complete(prompt, options, signal));
  }

  infill(prefix: string, suffix: string, options: GenerationOptions, signal?: AbortSignal): AsyncIterable<GenerationEvent> {
    return this.timed(performance.now(), this.inner.infill(prefix, suffix, options, signal));
  }

  stats(): EngineStats {
    return this.inner.stats();
  }

  health(): EngineHealth {
    return this.inner.health();
  }

  dispose(): Promise<void> {
    return this.inner.dispose();
  }

  private async *timed(started: number, events: AsyncIterable<GenerationEvent>): AsyncGenerator<GenerationEvent> {
    this.running++;
    try {
      yield* this.measured(started, events);
    } finally {
      this.running--;
    }
  }

  /** Times are taken as the reader receives events, which for a local client is as they are made. */
  private async *measured(started: number, events: AsyncIterable<GenerationEvent>): AsyncGenerator<GenerationEvent> {
    let first: number | undefined;
    let decodeTokens = 0;
    for await (const event of events) {
      const now = performance.now();
      if (event.type === "text") {
        if (first === undefined) first = now;
        else decodeTokens += event.tokens;
      } else {
        const decodeSeconds = first === undefined ? 0 : (now - first) / 1000;
        this.timer.last = {
          timeToFirstToken: ((first ?? now) - started) / 1000,
          tokensPerSecond: decodeTokens > 0 && decodeSeconds > 0 ? decodeTokens / decodeSeconds : 0,
          inputTokens: event.usage.promptTokens,
          cachedTokens: event.usage.cachedTokens,
          outputTokens: event.usage.completionTokens,
        };
      }
      yield event;
    }
  }
}
