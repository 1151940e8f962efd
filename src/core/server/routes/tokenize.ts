// POST /tokenize, in llama.cpp's shape ({content} → {tokens}): the loaded model's token ids for a
// text, so clients (the chat view among them) measure prompts against the context window exactly
// instead of guessing from characters. Text is counted as text, as chat content is tokenized;
// {messages} counts the whole chat prompt, template tokens included.
import type { RequestHandler } from "express";
import { parseTokenizeRequest } from "../schemas";
import type { ModelProvider } from "../modelProvider";

export function tokenize(models: ModelProvider): RequestHandler {
  return async (req, res) => {
    const request = parseTokenizeRequest(req.body);
    const { engine } = request.model !== undefined ? await models.require(request.model) : models.loadedFor("chat");
    res.json({ tokens: await engine.tokenize(request.input) });
  };
}
