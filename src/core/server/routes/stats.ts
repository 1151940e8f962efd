// GET /stats: the engine's counters, for the status bar and benchmarks.
import type { RequestHandler } from "express";
import type { Engine } from "../../engine/engine";

export function stats(engine: Engine): RequestHandler {
  return (_req, res) => {
    res.json(engine.stats());
  };
}
