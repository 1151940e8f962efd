// POST /tokenize, in llama.cpp's shape ({content} → {tokens}): the loaded model's token ids for a
// text, so clients (the chat view among them) measure prompts against the context window exactly
// instead of guessing from characters.
import type { RequestHandler } from "express";
import { EngineError } from "../../engine/errors";
import { toApiError } from "../errors";
import { parseTokenizeRequest } from "../schemas";
import type { ModelProvider } from "../modelProvider";

export function tokenize(models: ModelProvider): RequestHandler {
  return async (req, res) => {
    const request = parseTokenizeRequest(req.body);
    const { engine } = models;
    if (request.model !== undefined) await models.require(request.model);
    else if (!engine.model) throw toApiError(new EngineError("no_model", "no model is loaded"));
    res.json({ tokens: await engine.tokenize(request.content) });
  };
}
