// GET /health: liveness plus what is loaded. Also how a second server recognises a running Squeeze.
import type { RequestHandler } from "express";
import type { Engine } from "../../engine/engine";

export function health(engine: Engine, version: string): RequestHandler {
  return (_req, res) => {
    const model = engine.model;
    res.json({
      status: "ok",
      server: "Squeeze",
      version,
      model: model?.id ?? null,
      backend: model?.backend ?? null,
      context_size: model?.contextSize ?? null,
      gpu: model ? model.gpu : null,
    });
  };
}
