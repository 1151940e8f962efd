// Lemonade's management endpoints under /api/v1. (Being built.)
import { Router } from "express";
import type { Engine } from "../../engine/engine";

export function lemonadeRouter(_engine: Engine): Router {
  return Router();
}
