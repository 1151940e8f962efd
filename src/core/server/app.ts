// The Express application: security first, then JSON bodies, then one API router mounted under
// /v1 (OpenAI clients) and /api/v1 (Lemonade's prefix), and OpenAI-shaped errors for everything else.
import express, { Router, type ErrorRequestHandler, type RequestHandler } from "express";
import type { ModelPool } from "../engine/modelPool";
import { ApiError, sendError, toApiError } from "./errors";
import { jsonBody, jsonObject } from "./requestBody";
import { chatCompletions } from "./routes/chat";
import { completions } from "./routes/completions";
import { fimCompletions } from "./routes/fim";
import { health } from "./routes/health";
import { infill } from "./routes/infill";
import { embeddings } from "./routes/embeddings";
import { rerank } from "./routes/rerank";
import { modelsRouter } from "./routes/models";
import { stats } from "./routes/stats";
import { tokenize } from "./routes/tokenize";
import { lemonadeRouter } from "./routes/lemonade";
import { LEMONADE_PREFIX, ollamaErrors } from "./routes/ollama/errors";
import { ollamaRouter } from "./routes/ollama/ollamaRouter";
import { storeRouter } from "./routes/store";
import type { ModelStore } from "../store/modelStore";
import { ModelProvider, type ModelProviderOptions } from "./modelProvider";
import { security, userOnly } from "./security";
import type { UserSecret } from "../trust/userSecret";
import { prove } from "./routes/prove";
import { ServerLife } from "./serverLife";
import { attach } from "./routes/attach";
import { anthropicRouter } from "./routes/anthropic/messages";
import { anthropicErrors } from "./routes/anthropic/errors";
import { responsesRouter } from "./routes/responses/responses";

export interface ServerOptions {
  /** Address to listen on; default "127.0.0.1". */
  host?: string;
  /** Default 8000; 0 picks a free port. */
  port?: number;
  /** When set, API routes (all but health) need `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** The user's secret: the server proves it holds it (/api/v1/prove), and its token lets clients manage models. */
  userSecret?: UserSecret;
  /** Browser origins allowed to call the API; "*" allows any. */
  allowedOrigins?: string[];
  /** Host names accepted besides localhost, for users who bind other addresses; "*" accepts any. */
  allowedHosts?: string[];
  /** Largest accepted request body; default 4 MiB (a long chat with pasted files). */
  maxBodyBytes?: number;
  /** Squeeze's version, reported by /health. */
  version: string;
  /** Enables Lemonade's model management under /api/v1 (pull, delete, models on disk). */
  store?: ModelStore;
  /** How models that requests name are loaded (context size, parallel sequences), and where they may run. */
  load?: ModelProviderOptions["load"];
  preferences?: ModelProviderOptions["preferences"];
  /** How long a full stream may go unread before it is cut (sse.ts's STALLED_READER_MS). */
  stalledReaderMs?: number;
  /** How long a client may take to send its whole request (server.ts's REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number;
  /** The process's life: startup, notices, attached editor windows; default: a server that stays. */
  life?: ServerLife;
  /** How the process was started, told to attached windows: its arguments, and where its output begins in its log. */
  launch?: { argv: string[]; logOffset: number | null };
}

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

const MANAGEMENT_ROUTES = ["/api/v1/pull", "/api/v1/delete", "/api/v1/load", "/api/v1/unload", "/api/v1/pin"];

const ANTHROPIC_PATHS = ["/v1/messages", "/api/v1/messages"];

const WILDCARD_ADDRESSES = new Set(["0.0.0.0", "::", "[::]"]);

export function createApp(pool: ModelPool, options: ServerOptions): express.Application {
  const app = express();
  app.disable("x-powered-by");
  // Every answer describes live state; a 304 would only confuse clients.
  app.disable("etag");
  app.locals.stalledReaderMs = options.stalledReaderMs;

  // Binding a specific address means clients will name it in Host; an IP literal cannot be rebound.
  const boundHost = options.host && !WILDCARD_ADDRESSES.has(options.host) ? [options.host] : [];
  app.use(
    security({
      allowedHosts: [...(options.allowedHosts ?? []), ...boundHost],
      allowedOrigins: options.allowedOrigins,
      apiKey: options.apiKey,
      userSecret: options.userSecret,
    }),
  );
  app.get("/api/v1/prove", prove(options.userSecret));
  // What changes the machine's files or what it runs is the user's (security.ts); generation stays open.
  app.post(MANAGEMENT_ROUTES, userOnly);
  // Not strict: a JSON string or number parses, so jsonObjectBody can say what is wrong in plain words.
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  app.use(express.json({ limit: maxBodyBytes, strict: false }));
  // Ollama's clients read its error shape, body errors included (Lemonade's /api/v1 keeps OpenAI's).
  app.use("/api", ((err, req, res, next) => (LEMONADE_PREFIX.test(req.path) ? next(err) : ollamaErrors(err, req, res, next))) as ErrorRequestHandler);
  // Anthropic's clients read its error shape, body errors included.
  app.use(ANTHROPIC_PATHS, anthropicErrors);
  const started = Math.floor(Date.now() / 1000);
  // First: its unload takes a POST with no body, which the store's body check would refuse.
  // Requests name their model: a downloaded one that is not loaded is loaded for them.
  const models = new ModelProvider(pool, { store: options.store, load: options.load, preferences: options.preferences });
  const life = options.life ?? new ServerLife();
  app.get("/api/v1/attach", attach(life, { pid: process.pid, version: options.version, argv: options.launch?.argv ?? [], log_offset: options.launch?.logOffset ?? null }));
  app.use("/api/v1", lemonadeRouter(models, { version: options.version, life }));
  // Before the shared router: under /api/v1, "models" lists what is on disk, as Lemonade does.
  if (options.store) app.use("/api/v1", jsonBodiesOnPost, storeRouter(options.store, pool, started));
  app.use(["/v1", "/api/v1"], anthropicRouter(models), responsesRouter(models));
  app.use(["/v1", "/api/v1"], apiRouter(models, options.version, started, life));
  // Ollama's routes (/api/tags, /api/chat ...); after /api/v1 so its paths never shadow those.
  app.use("/api", ollamaRouter(models, options.version, maxBodyBytes));
  app.get("/health", health(pool, options.version, life));
  // Where llama.cpp's clients (llama.vscode, llama.vim) send it: the server's root.
  app.post("/infill", jsonObjectBody, infill(models));
  app.post(["/rerank", "/reranking"], jsonObjectBody, rerank(models));
  app.use(notFound);
  app.use(lastResort);
  return app;
}

function apiRouter(models: ModelProvider, version: string, started: number, life: ServerLife): Router {
  const { pool } = models;
  const router = Router();
  router.post("/chat/completions", jsonObjectBody, chatCompletions(models));
  router.post("/completions", jsonObjectBody, completions(models));
  router.post("/fim/completions", jsonObjectBody, fimCompletions(models));
  router.post("/infill", jsonObjectBody, infill(models));
  router.post("/tokenize", jsonObjectBody, tokenize(models));
  router.post("/embeddings", jsonObjectBody, embeddings(models));
  router.post(["/rerank", "/reranking"], jsonObjectBody, rerank(models));
  router.use(modelsRouter(pool, started));
  router.get("/health", health(pool, version, life));
  router.get("/stats", stats(pool));
  return router;
}

const jsonBodiesOnPost: RequestHandler = (req, res, next) => (req.method === "POST" ? jsonObjectBody(req, res, next) : next());

/** Refuses, before a route runs, a body that is not a JSON object. */
const jsonObjectBody: RequestHandler = (req, res, next) => {
  try {
    jsonObject(jsonBody(req));
    next();
  } catch (err) {
    sendError(res, toApiError(err));
  }
};

const notFound: RequestHandler = (req, res) => {
  sendError(res, new ApiError(404, `There is no endpoint ${req.method} ${req.path}.`, { code: "unknown_url" }));
};

/** Catches everything else, body-parser's refusals among them; a stack never reaches the client and the process keeps serving. */
const lastResort: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  // Too late for a JSON error: cut the connection so the client sees a failure, not a truncated success.
  if (res.headersSent) return void res.destroy();
  sendError(res, toApiError(err));
};
