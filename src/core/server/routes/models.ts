// GET /models and /models/{id}: what the server can run, which is the loaded model or nothing.
import { Router } from "express";
import type { Engine } from "../../engine/engine";
import type { ModelInfo } from "../../engine/types";
import { ApiError } from "../errors";
import { modelStatus } from "./modelStatus";

/** `created` is when the server started: the engine does not record when its model was loaded. */
export function modelsRouter(engine: Engine, created: number): Router {
  // OpenAI's fields, and Squeeze's state of the model under its own key.
  const describe = (model: ModelInfo) => ({ id: model.id, object: "model", created, owned_by: "squeeze", squeeze: modelStatus(engine, model) });
  const router = Router();

  router.get("/models", (_req, res) => {
    const model = engine.model;
    res.json({ object: "list", data: model ? [describe(model)] : [] });
  });

  // A wildcard, because model ids may contain slashes ("org/name", as on Hugging Face).
  router.get("/models/*id", (req, res) => {
    const segments: unknown = req.params.id;
    const id = Array.isArray(segments) ? segments.join("/") : String(segments);
    const model = engine.model;
    if (model?.id !== id) {
      throw new ApiError(404, `The model '${id}' does not exist or is not loaded.`, { param: "model", code: "model_not_found" });
    }
    res.json(describe(model));
  });

  return router;
}
