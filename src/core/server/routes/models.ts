// GET /models and /models/{id}: the models loaded now, which requests can use at once.
import { Router } from "express";
import type { LoadedModel, ModelPool } from "../../engine/modelPool";
import { ApiError } from "../errors";
import { modelStatus } from "./modelStatus";

/** `created` is when the server started: the engine does not record when its model was loaded. */
export function modelsRouter(pool: ModelPool, created: number): Router {
  // OpenAI's fields; the context a request may use and the model's longest (as LM Studio names
  // them), by which clients size their prompts; and Squeeze's state of the model under its own key.
  const describe = (model: LoadedModel) => ({
    id: model.info.id,
    object: "model",
    created,
    owned_by: "squeeze",
    context_length: model.info.contextSize,
    max_context_length: model.info.trainedContextSize,
    squeeze: modelStatus(model),
  });
  const router = Router();

  router.get("/models", (_req, res) => {
    res.json({ object: "list", data: pool.list().map(describe) });
  });

  // A wildcard, because model ids may contain slashes ("org/name", as on Hugging Face).
  router.get("/models/*id", (req, res) => {
    const segments: unknown = req.params.id;
    const id = Array.isArray(segments) ? segments.join("/") : String(segments);
    const model = pool.list().find((m) => m.info.id === id);
    if (!model) throw new ApiError(404, `The model '${id}' does not exist or is not loaded.`, { param: "model", code: "model_not_found" });
    res.json(describe(model));
  });

  return router;
}
