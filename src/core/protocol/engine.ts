// The engine as its callers (server, CLI, benchmarks) see it: the host side of the worker.
import type { ChatMessage, EmbedInput, EmbedOptions, Embeddings, GenerationEvent, GenerationOptions, LoadSpec, ModelInfo, Ranking, TokenizeInput } from "./types";

export interface EngineStats {
  /** Requests waiting for a slot of the model. */
  queued: number;
  /** Requests generating now. */
  running: number;
  /** Requests finished normally, cancelled by their caller, and failed. */
  completed: number;
  cancelled: number;
  failed: number;
  /** Tokens generated since start, over all requests. */
  generatedTokens: number;
  /** Worker threads started since start (1 + restarts after crashes). */
  workerStarts: number;
}

/**
 * Whether the engine can answer now: its worker is up and answering ("ready"), being started
 * with the model ("starting"), or gone after it died or stopped answering ("stopped": the next
 * request starts a new one). `lastFailure` says when and why it last went, if it ever did.
 */
export interface EngineHealth {
  state: "ready" | "starting" | "stopped";
  lastFailure?: { at: string; reason: string };
}

export interface Engine {
  /** The loaded model, or undefined. */
  readonly model: ModelInfo | undefined;
  load(spec: LoadSpec): Promise<ModelInfo>;
  unload(): Promise<void>;
  tokenize(input: TokenizeInput): Promise<number[]>;
  /**
   * Each stream yields text deltas then one `done` event. The call itself throws EngineError
   * queue_full or no_model at once; the stream throws EngineError (cancelled when `signal`
   * aborts, context_length_exceeded, ...) when read.
   */
  chat(messages: ChatMessage[], options: GenerationOptions, signal?: AbortSignal): AsyncIterable<GenerationEvent>;
  complete(prompt: string, options: GenerationOptions, signal?: AbortSignal): AsyncIterable<GenerationEvent>;
  infill(prefix: string, suffix: string, options: GenerationOptions, signal?: AbortSignal): AsyncIterable<GenerationEvent>;
  /** One vector per text; an embedding model's call, which waits for a slot like a generation. */
  embed(inputs: EmbedInput[], options: EmbedOptions, signal?: AbortSignal): Promise<Embeddings>;
  /** Each document's relevance to the query, from a reranking model. */
  rank(query: string, documents: string[], options: EmbedOptions, signal?: AbortSignal): Promise<Ranking>;
  stats(): EngineStats;
  health(): EngineHealth;
  dispose(): Promise<void>;
}
