// Who may talk to the server. It listens on localhost, but any web page the user opens can send
// requests there: the Host check stops DNS rebinding, the Origin check stops cross-site requests,
// and the optional API key stops other local programs.
import { createHash, timingSafeEqual } from "node:crypto";
import type { Request, RequestHandler, Response } from "express";
import { ApiError, sendError } from "./errors";

export interface SecurityOptions {
  /** Extra Host names to accept besides localhost, 127.0.0.1 and [::1]; "*" accepts any. */
  allowedHosts?: string[];
  /** Browser origins allowed to call the API (exact, e.g. "http://localhost:5173"); "*" allows any. */
  allowedOrigins?: string[];
  /** When set, every route but health needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
}

const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"];
/** Health stays open so monitors and a second Squeeze instance can identify the server without the key. */
const OPEN_PATHS = new Set(["/health", "/v1/health", "/api/v1/health"]);

export function security(options: SecurityOptions): RequestHandler {
  const hosts = new Set([...LOOPBACK_HOSTS, ...(options.allowedHosts ?? []).map(hostname)]);
  const origins = new Set((options.allowedOrigins ?? []).map((o) => o.replace(/\/+$/, "")));
  // An empty key (a blank setting) means no key, not "refuse everyone".
  const keyDigest = options.apiKey ? digest(options.apiKey) : undefined;

  return (req, res, next) => {
    const host = req.headers.host;
    // Browsers always send Host, so a request without one cannot be a rebinding attack.
    if (host !== undefined && !hosts.has("*") && !hosts.has(hostname(host))) {
      return sendError(res, new ApiError(403,
        `Requests for host '${host}' are refused: this server only answers requests addressed to localhost. ` +
          "Add the host to the allowed hosts to accept it.",
        { code: "host_not_allowed" }));
    }

    const origin = req.headers.origin;
    if (origin !== undefined) {
      const sameOrigin = host !== undefined && origin.toLowerCase() === `http://${host.toLowerCase()}`;
      if (!sameOrigin && !origins.has("*") && !origins.has(origin)) {
        return sendError(res, new ApiError(403,
          `Cross-origin requests from '${origin}' are refused. Add the origin to the allowed origins to accept it.`,
          { code: "origin_not_allowed" }));
      }
      allowCors(req, res, origin);
    }
    // Preflights carry no credentials; answer them before the key check.
    if (req.method === "OPTIONS") {
      res.set("Allow", "GET, POST, OPTIONS").status(204).end();
      return;
    }

    if (keyDigest && !OPEN_PATHS.has(normalizedPath(req.path)) && !bearerMatches(req, keyDigest)) {
      res.set("WWW-Authenticate", 'Bearer realm="Squeeze"');
      return sendError(res, new ApiError(401,
        req.headers.authorization
          ? "Incorrect API key. Send the key configured in Squeeze as 'Authorization: Bearer <key>'."
          : "Missing API key. Send the key configured in Squeeze as 'Authorization: Bearer <key>'.",
        { code: "invalid_api_key" }));
    }
    next();
  };
}

function allowCors(req: Request, res: Response, origin: string): void {
  res.set({ "Access-Control-Allow-Origin": origin, Vary: "Origin", "Access-Control-Expose-Headers": "Retry-After" });
  if (req.method === "OPTIONS") {
    res.set({
      "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
      "Access-Control-Allow-Headers": req.headers["access-control-request-headers"] ?? "Authorization, Content-Type",
      "Access-Control-Max-Age": "600",
    });
  }
}

/** "LocalHost:8000" → "localhost", "[::1]:8000" and "::1" → "[::1]", "example.com." → "example.com". */
function hostname(host: string): string {
  const lower = host.trim().toLowerCase();
  // A bare IPv6 address can only come from configuration; Host headers bracket it.
  if (lower.split(":").length > 2 && !lower.startsWith("[")) return `[${lower}]`;
  const name = lower.startsWith("[") ? lower.slice(0, lower.indexOf("]") + 1) : lower.split(":")[0]!;
  return name.replace(/\.$/, "");
}

/** Express matches routes case-insensitively and ignores a trailing slash; the key check must agree. */
function normalizedPath(path: string): string {
  return path.toLowerCase().replace(/\/+$/, "");
}

/** Hashing first gives equal lengths, which timingSafeEqual needs, and hides the key's length. */
function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

function bearerMatches(req: Request, keyDigest: Buffer): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "");
  return match !== null && timingSafeEqual(digest(match[1]!.trim()), keyDigest);
}
