// GET /stats: the engines' counters, for the status bar and benchmarks.
import type { RequestHandler } from "express";
import type { ModelPool } from "../../engine/modelPool";

export function stats(pool: ModelPool): RequestHandler {
  return (_req, res) => {
    res.json(pool.stats());
  };
}
