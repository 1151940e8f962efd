// Who may talk to the server. It listens on localhost, but any web page the user opens can send
// requests there: the Host check stops DNS rebinding, the Origin check stops cross-site requests,
// and the optional API key stops other local programs. Managing models needs the user: the API
// key, or the token only the user's own clients can derive from the per-user secret.
// A refusal goes to the error handlers, so each API (OpenAI, Ollama, Anthropic) tells it in its own shape.
import { createHash, timingSafeEqual } from "node:crypto";
import type { Request, RequestHandler, Response } from "express";
import type { UserSecret } from "../trust/userSecret";
import { ApiError } from "./errors";

export interface SecurityOptions {
  /** Extra Host names to accept besides localhost, 127.0.0.1 and [::1]; "*" accepts any. */
  allowedHosts?: string[];
  /** Browser origins allowed to call the API (exact, e.g. "http://localhost:5173"); "*" allows any. */
  allowedOrigins?: string[];
  /** When set, every route but health needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** The user's secret: its token, like the key, lets a client manage models. */
  userSecret?: UserSecret;
}

const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"];
/**
 * Health stays open so monitors and a second Squeeze instance can identify the server without the
 * key; the proof, so that a client checks the server before it sends the key or anything else.
 */
const OPEN_PATHS = new Set(["/health", "/v1/health", "/api/v1/health", "/api/v1/prove"]);

export function security(options: SecurityOptions): RequestHandler {
  const hosts = new Set([...LOOPBACK_HOSTS, ...(options.allowedHosts ?? []).map(hostname)]);
  // "*" accepts any Host, but a page's own origin counts as same-origin only for a host named here:
  // a rebinding page's Origin always matches the Host it sends.
  const namedHosts = new Set([...hosts].filter((h) => h !== "*"));
  const origins = new Set((options.allowedOrigins ?? []).map((o) => o.replace(/\/+$/, "")));
  // An empty key (a blank setting) means no key, not "refuse everyone".
  const keyDigest = options.apiKey ? digest(options.apiKey) : undefined;

  return (req, res, next) => {
    const host = req.headers.host;
    // Browsers always send Host, so a request without one cannot be a rebinding attack.
    if (host !== undefined && !hosts.has("*") && !hosts.has(hostname(host))) {
      return next(new ApiError(403,
        `Requests for host '${host}' are refused: this server only answers requests addressed to localhost. ` +
          "Add the host to the allowed hosts to accept it.",
        { code: "host_not_allowed" }));
    }

    const origin = req.headers.origin;
    if (origin !== undefined) {
      const sameOrigin = host !== undefined && namedHosts.has(hostname(host)) && origin.toLowerCase() === `http://${host.toLowerCase()}`;
      if (!sameOrigin && !origins.has("*") && !origins.has(origin)) {
        return next(new ApiError(403,
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

    const bearer = bearerOf(req);
    const user = bearer !== undefined && ((keyDigest !== undefined && timingSafeEqual(digest(bearer), keyDigest)) || (options.userSecret?.isToken(bearer) ?? false));
    res.locals.user = user;
    if (keyDigest && !OPEN_PATHS.has(normalizedPath(req.path)) && !user) {
      res.set("WWW-Authenticate", 'Bearer realm="Squeeze"');
      return next(new ApiError(401,
        req.headers.authorization || req.headers["x-api-key"]
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

/** The key a client sends: as a bearer token, or in `x-api-key` as Anthropic's clients send it. */
function bearerOf(req: Request): string | undefined {
  const apiKey = req.headers["x-api-key"];
  return /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1]!.trim() ?? (typeof apiKey === "string" && apiKey.trim() ? apiKey.trim() : undefined);
}

/** Whether the request came from the user (the API key or the user's token): for routes that manage models. */
export function fromUser(res: Response): boolean {
  return res.locals.user === true;
}

/** Pull, delete, load, unload and pin: refused in the API's own shape unless the user asks. */
export function userRequired(what: string): ApiError {
  return new ApiError(401,
    `${what} changes what this machine stores or runs, so only the user may do it: send the API key as ` +
      "'Authorization: Bearer <key>', or use the squeeze CLI or the editor, which prove they are the user.",
    { code: "user_required" });
}

export const userOnly: RequestHandler = (req, res, next) => {
  if (fromUser(res)) return next();
  res.set("WWW-Authenticate", 'Bearer realm="Squeeze"');
  next(userRequired(`${req.method} ${req.baseUrl}${req.path}`));
};
