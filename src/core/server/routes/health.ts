// GET /health: liveness plus what is loaded. Also how a second server recognises a running Squeeze.
import type { RequestHandler } from "express";
import type { Engine } from "../../engine/engine";

export function health(engine: Engine, version: string): RequestHandler {
  return (_req, res) => {
    res.json(healthFields(engine, version));
  };
}

/** Squeeze's own fields, which Lemonade's /api/v1/health keeps beside its own. */
export function healthFields(engine: Engine, version: string) {
  const model = engine.model;
  return {
    status: "ok",
    server: "Squeeze",
    version,
    model: model?.id ?? null,
    backend: model?.backend ?? null,
    context_size: model?.contextSize ?? null,
    gpu: model ? model.gpu : null,
  };
}
