// Failures of the model store, each with a code callers branch on (the API maps them to HTTP
// statuses, the CLI prints the message) and a message that says what to do.
export type StoreErrorCode =
  | "invalid_name"
  | "not_found"
  | "unauthorized"
  | "rate_limited"
  | "server_error"
  | "network"
  | "offline"
  | "insufficient_space"
  /** The cache could not be written for another reason than space (permissions, an I/O error). */
  | "write_failed"
  | "checksum_mismatch"
  | "invalid_response"
  | "cancelled"
  | "in_use";

export class StoreError extends Error {
  override name = "StoreError";
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    /** Worth another try after a pause (network trouble, 429, 5xx). */
    readonly retryable = false,
    /** What the server asked for in Retry-After, in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
