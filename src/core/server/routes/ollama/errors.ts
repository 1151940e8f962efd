// Ollama's error shape, `{"error": "message"}`: its clients read that one string. Statuses and
// messages come from the OpenAI side's ApiError, so both APIs report a failure alike.
import type { ErrorRequestHandler, RequestHandler, Response } from "express";
import { ApiError, publicMessage, toApiError } from "../../errors";

/** Under /api, Lemonade's prefix (OpenAI-shaped) rather than Ollama's routes; paths match in any case, as Express routes them. */
export const LEMONADE_PREFIX = /^\/v1(\/|$)/i;

/** Writes `err` as a complete JSON response. Only valid before any header was sent. */
export function sendOllamaError(res: Response, err: ApiError): void {
  if (err.retryAfterSeconds !== undefined) res.set("Retry-After", String(err.retryAfterSeconds));
  res.status(err.status).json({ error: publicMessage(err) });
}

/** Ollama's answer for a name that is not the loaded model. */
export function modelNotFound(name: string): ApiError {
  return new ApiError(404, `model "${name}" not found, try pulling it first`, { param: "model", code: "model_not_found" });
}

/** Ollama routes Squeeze does not serve (pull, create, copy ...): in Ollama's shape, so clients show the message. */
export const unknownOllamaRoute: RequestHandler = (req, res) => {
  sendOllamaError(res, new ApiError(404, `Squeeze does not serve Ollama's ${req.method} ${req.baseUrl}${req.path}.`));
};

/** Everything the Ollama routes throw, body-parser's failures included. */
export const ollamaErrors: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  // Too late for a JSON error: cut the connection so the client sees a failure, not a truncated success.
  if (res.headersSent) return void res.destroy();
  sendOllamaError(res, toApiError(err));
};
