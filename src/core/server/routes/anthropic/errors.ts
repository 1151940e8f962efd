// Anthropic's error shape, `{"type": "error", "error": {"type", "message"}}`, which its SDK turns
// into its typed errors by status. Statuses and messages come from the OpenAI side's ApiError, so
// every API reports a failure alike; body-parser's failures on these routes are told this way too.
import type { ErrorRequestHandler, Response } from "express";
import { ApiError, publicMessage, toApiError } from "../../errors";

/** Anthropic's error type for a status. */
function errorType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 413) return "request_too_large";
  if (status === 429) return "rate_limit_error";
  if (status === 503) return "overloaded_error";
  return status >= 500 ? "api_error" : "invalid_request_error";
}

export function anthropicError(err: ApiError): { type: "error"; error: { type: string; message: string } } {
  return { type: "error", error: { type: errorType(err.status), message: publicMessage(err) } };
}

/** Writes `err` as a complete JSON response. Only valid before any header was sent. */
export function sendAnthropicError(res: Response, err: ApiError): void {
  if (err.retryAfterSeconds !== undefined) res.set("Retry-After", String(err.retryAfterSeconds));
  res.status(err.status).json(anthropicError(err));
}

/** Everything the Messages routes throw, body-parser's failures included. */
export const anthropicErrors: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  if (res.headersSent) return void res.destroy();
  sendAnthropicError(res, toApiError(err));
};
