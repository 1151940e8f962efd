// Errors the engine reports. `code` survives the worker boundary; the server maps it to HTTP.

export type EngineErrorCode =
  /** The bounded request queue is full: try again shortly. */
  | "queue_full"
  /** No model is loaded. */
  | "no_model"
  /** The model file failed validation or could not be loaded. */
  | "invalid_model"
  /** The native runtime could not be started on this machine. */
  | "runtime_unavailable"
  /** The request cannot be run as given (e.g. the chat template refuses the messages). */
  | "invalid_request"
  /** The prompt does not fit in the context window. */
  | "context_length_exceeded"
  /** The request was cancelled by its caller. */
  | "cancelled"
  /** The model's runtime process (AMD's NPU server) exited or broke off during the request; the next request starts it again. */
  | "runtime_crashed"
  /** The worker thread died while the request was pending. */
  | "worker_crashed"
  /** Anything else the runtime threw. */
  | "internal";

export class EngineError extends Error {
  constructor(readonly code: EngineErrorCode, message: string) {
    super(message);
    this.name = "EngineError";
  }

  static from(err: unknown): EngineError {
    if (err instanceof EngineError) return err;
    return new EngineError("internal", err instanceof Error ? err.message : String(err));
  }
}
