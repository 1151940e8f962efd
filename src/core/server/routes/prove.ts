// GET /api/v1/prove?nonce=<64 hex>: the server shows it holds the user's secret, without showing
// the secret, before a client sends it anything (see trust/userSecret.ts).
import type { RequestHandler } from "express";
import { NONCE_PATTERN, type UserSecret } from "../../trust/userSecret";
import { ApiError, sendError } from "../errors";

export function prove(secret: UserSecret | undefined): RequestHandler {
  return (req, res) => {
    const nonce = req.query.nonce;
    if (typeof nonce !== "string" || !NONCE_PATTERN.test(nonce)) {
      return sendError(res, new ApiError(400, "'nonce' must be 64 lowercase hexadecimal digits (32 random bytes).", { param: "nonce", code: "invalid_nonce" }));
    }
    if (!secret) return sendError(res, new ApiError(404, "This server was started without a user secret, so it cannot prove whose it is.", { code: "no_user_secret" }));
    // The port the client reached: a proof passed on from a server on another port does not match.
    res.json({ server: "Squeeze", proof: secret.proof(nonce, req.socket.localPort ?? 0) });
  };
}
