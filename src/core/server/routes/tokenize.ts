// POST /tokenize, in llama.cpp's shape ({content} → {tokens}): the loaded model's token ids for a
// text, so clients (the chat view among them) measure prompts against the context window exactly
// instead of guessing from characters.
import type { RequestHandler } from "express";
import type { Engine } from "../../engine/engine";
import { parseTokenizeRequest } from "../schemas";
import { requireModel } from "./generation";

export function tokenize(engine: Engine): RequestHandler {
  return async (req, res) => {
    const request = parseTokenizeRequest(req.body);
    requireModel(engine, request.model ?? engine.model?.id ?? "");
    res.json({ tokens: await engine.tokenize(request.content) });
  };
}
