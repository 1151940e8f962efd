// Which client a request comes from, for the engine's per-client completion sequences: an editor
// window names itself in the X-Squeeze-Client header (any tool may); requests without it share.
import type { Request } from "express";
import { ApiError } from "./errors";

export const CLIENT_HEADER = "x-squeeze-client";

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function clientId(req: Request): string | undefined {
  const value = req.headers[CLIENT_HEADER];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !CLIENT_ID.test(value)) {
    throw new ApiError(400, "The X-Squeeze-Client header must be 1 to 128 letters, digits, '.', '_', ':' or '-'.", { code: "invalid_header" });
  }
  return value;
}
