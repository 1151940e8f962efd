// Errors in OpenAI's wire shape, and the mapping from engine failures to HTTP.
// Clients (the openai SDK, Continue) branch on the status code and read `error.message`,
// so every failure the server reports goes through this file.
import type { Response } from "express";
import { EngineError } from "../protocol/errors";

export type ApiErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "server_error";

export interface ApiErrorDetails {
  /** Defaults from the status: 401 authentication, 403 permission, 404 not found, 5xx server, else invalid request. */
  type?: ApiErrorType;
  /** The request field at fault, e.g. "messages.0.role". */
  param?: string | null;
  code?: string | null;
  /** Sent as `Retry-After` (seconds); the openai SDK honours it when it retries. */
  retryAfterSeconds?: number;
}

export class ApiError extends Error {
  readonly type: ApiErrorType;
  readonly param: string | null;
  readonly code: string | null;
  readonly retryAfterSeconds: number | undefined;

  constructor(readonly status: number, message: string, details: ApiErrorDetails = {}) {
    super(message);
    this.name = "ApiError";
    this.type = details.type ?? defaultType(status);
    this.param = details.param ?? null;
    this.code = details.code ?? null;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

function defaultType(status: number): ApiErrorType {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  return status >= 500 ? "server_error" : "invalid_request_error";
}

export function errorBody(err: ApiError): { error: { message: string; type: ApiErrorType; param: string | null; code: string | null } } {
  return { error: { message: publicMessage(err), type: err.type, param: err.param, code: err.code } };
}

// Absolute local paths: POSIX ones of two or more segments (not the API's own routes, not inside a
// URL), and Windows drive and UNC ones. Each keeps only its last segment.
const LOCAL_PATH = /(?<![\w.:/~-])\/(?!(?:v1|api)\/)(?:[^\s/'"`]+\/)+[^\s/'"`,;)]*|\b[A-Za-z]:\\[^\s'"`,;)]*|\\\\[^\s\\'"`]+\\[^\s'"`,;)]*/g;

/**
 * The message a client sees: without the local paths (user names, folder layout) that runtime and
 * file errors carry. The server's log keeps the whole message.
 */
export function publicMessage(err: ApiError): string {
  const message = err.message.replace(LOCAL_PATH, (found) => `…${found.slice(found.search(/[^/\\]*$/) - 1)}`);
  if (message !== err.message) console.error(`[squeeze] ${err.status}: ${err.message}`);
  return message;
}

/** Writes `err` as a complete JSON response. Only valid before any header was sent. */
export function sendError(res: Response, err: ApiError): void {
  if (err.retryAfterSeconds !== undefined) res.set("Retry-After", String(err.retryAfterSeconds));
  res.status(err.status).json(errorBody(err));
}

/** Seconds a client should wait when the queue is full: long enough for a short request to finish. */
const QUEUE_RETRY_AFTER_SECONDS = 1;

/**
 * Turns anything thrown while serving a request into an ApiError.
 * `promptParam` names the field a context overflow is blamed on ("messages" or "prompt").
 */
export function toApiError(err: unknown, promptParam: "messages" | "prompt" = "messages"): ApiError {
  if (err instanceof ApiError) return err;
  const client = clientError(err);
  if (client) return client;
  if (!(err instanceof EngineError)) {
    // A bug in the server, not a failure the engine reported: log it, never leak its details.
    console.error("[squeeze] unexpected server error:", err);
    return new ApiError(500, "Internal server error.", { code: "internal_error" });
  }
  switch (err.code) {
    case "queue_full":
      return new ApiError(503, `The server is busy: ${err.message}`, {
        code: "queue_full",
        retryAfterSeconds: QUEUE_RETRY_AFTER_SECONDS,
      });
    case "no_model":
      return new ApiError(503, "No model is loaded. Load a model, then retry.", { code: "model_not_loaded" });
    case "invalid_model":
      return new ApiError(500, `The model could not be used: ${err.message}`, { code: "invalid_model" });
    case "runtime_unavailable":
      return new ApiError(500, `The inference runtime is unavailable: ${err.message}`, { code: "runtime_unavailable" });
    case "invalid_request":
      return new ApiError(400, err.message, { param: promptParam, code: "invalid_request" });
    case "context_length_exceeded":
      return new ApiError(400, err.message, { param: promptParam, code: "context_length_exceeded" });
    case "cancelled":
      // 499 is nginx's "client closed request"; normally the client is gone and nothing is written.
      return new ApiError(499, `The request was cancelled: ${err.message}`, { code: "cancelled" });
    case "runtime_crashed":
      // 503: the runtime is restarted by the next request, so a retry is the right answer.
      return new ApiError(503, `The model's runtime stopped: ${err.message}`, { code: "runtime_crashed" });
    case "worker_crashed":
      return new ApiError(500, `The inference worker crashed: ${err.message}`, { code: "worker_crashed" });
    case "internal":
      return new ApiError(500, `Inference failed: ${err.message}`, { code: "internal_error" });
  }
}

/** body-parser's and Express's refusals (malformed JSON, a body over the limit, bad URL encoding, an unsupported charset). */
function clientError(err: unknown): ApiError | undefined {
  const { type, status, message, limit } = (err ?? {}) as { type?: unknown; status?: unknown; message?: unknown; limit?: unknown };
  if (type === "entity.parse.failed") return new ApiError(400, `The request body is not valid JSON: ${String(message)}`, { code: "invalid_json" });
  if (type === "entity.too.large") return new ApiError(413, `The request body is larger than the server's limit of ${String(limit)} bytes.`, { code: "request_too_large" });
  if (typeof status === "number" && status >= 400 && status < 500) return new ApiError(status, String(message));
  return undefined;
}
