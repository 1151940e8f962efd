// Ollama's API on Squeeze's port, so Ollama clients (the `ollama` npm and Python packages, Open
// WebUI, editors' Ollama providers) work unchanged. Mounted at /api, after the /api/v1 routes.
import express, { Router } from "express";
import type { ModelProvider } from "../../modelProvider";
import { chat } from "./chat";
import { LEMONADE_PREFIX, ollamaErrors, unknownOllamaRoute } from "./errors";
import { generate } from "./generate";
import { embed, embeddings } from "./embed";
import { ps, show, tags } from "./models";

/** The Ollama API version reported: clients compare it to enable features, and this one has what is served here. */
export const OLLAMA_API_VERSION = "0.6.0";

export function ollamaRouter(models: ModelProvider, version: string, maxBodyBytes: number): Router {
  const { pool } = models;
  const router = Router();
  // /api/v1 is Lemonade's (OpenAI-shaped) prefix: its requests leave this router untouched, bodies and errors included.
  router.use((req, _res, next) => (LEMONADE_PREFIX.test(req.path) ? next("router") : next()));
  // Ollama reads every body as JSON whatever its Content-Type, and its documented curl examples
  // send none (so curl says form-urlencoded): parse what the app-wide JSON parser left unread.
  const json = express.json({ type: () => true, strict: false, limit: maxBodyBytes });
  // An empty body stays undefined, to be refused as missing rather than read as {}.
  router.use((req, res, next) => (req.headers["content-length"] === "0" ? next() : json(req, res, next)));

  router.get("/version", (_req, res) => {
    res.json({ version: OLLAMA_API_VERSION, server: "Squeeze", squeeze_version: version });
  });
  router.get("/tags", tags(pool));
  router.get("/ps", ps(pool));
  router.post("/show", show(models));
  router.post("/chat", chat(models));
  router.post("/generate", generate(models));
  router.post("/embed", embed(models));
  router.post("/embeddings", embeddings(models));
  router.all(/.*/, unknownOllamaRoute);
  router.use(ollamaErrors);
  return router;
}
