// The typed message protocol between the engine host and its worker thread.
import type { EngineErrorCode } from "./errors";
import type { EmbedInput, EmbedOptions, Embeddings, GenerationEvent, GenerationRequest, LoadSpec, ModelInfo, Ranking, TokenizeInput } from "./types";

/** Calls that answer once. */
export type CallRequest =
  | { op: "load"; spec: LoadSpec }
  | { op: "unload" }
  | { op: "tokenize"; input: TokenizeInput }
  | { op: "embed"; inputs: EmbedInput[]; options: EmbedOptions }
  | { op: "rank"; query: string; documents: string[]; options: EmbedOptions }
  /** Answered at once: the watchdog's question whether the worker still answers. */
  | { op: "ping" }
  /** Cancel everything and free the model: the worker may then be terminated safely. */
  | { op: "shutdown" };

export interface CallResults {
  load: ModelInfo;
  unload: void;
  tokenize: number[];
  embed: Embeddings;
  rank: Ranking;
  ping: void;
  shutdown: void;
}

/** How long a worker may take to cancel and free its model before it is ended regardless. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

export type HostMessage =
  | { type: "call"; id: number; request: CallRequest }
  | { type: "generate"; id: number; request: GenerationRequest }
  | { type: "cancel"; id: number };

export interface WireError {
  code: EngineErrorCode;
  message: string;
}

export type WorkerMessage =
  | { type: "result"; id: number; value: unknown }
  | { type: "event"; id: number; event: GenerationEvent }
  | { type: "error"; id: number; error: WireError };
