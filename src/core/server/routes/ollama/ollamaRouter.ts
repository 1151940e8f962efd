// Ollama's API on Squeeze's port, so Ollama clients work unchanged. (Being built.)
import { Router } from "express";
import type { Engine } from "../../../engine/engine";

export function ollamaRouter(_engine: Engine, _version: string): Router {
  return Router();
}
