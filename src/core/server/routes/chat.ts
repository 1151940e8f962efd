// POST /chat/completions.
import type { RequestHandler } from "express";
import type { Engine } from "../../engine/engine";
import { checkMaxTokens, parseChatRequest } from "../schemas";
import { requireModel, runGeneration, type GenerationShape } from "./generation";

const chatShape: GenerationShape = {
  idPrefix: "chatcmpl",
  object: "chat.completion",
  chunkObject: "chat.completion.chunk",
  // The openai SDK's stream helper requires the role in the first delta.
  opening: { delta: { role: "assistant", content: "" } },
  piece: (text) => ({ delta: { content: text } }),
  last: (finishReason) => ({ delta: {}, finish_reason: finishReason }),
  whole: (text, finishReason) => ({ message: { role: "assistant", content: text }, finish_reason: finishReason }),
};

export function chatCompletions(engine: Engine): RequestHandler {
  return async (req, res) => {
    const request = parseChatRequest(req.body);
    const model = requireModel(engine, request.model);
    checkMaxTokens(request, model.contextSize);
    await runGeneration(res, {
      shape: chatShape,
      model: model.id,
      stream: request.stream,
      includeUsage: request.includeUsage,
      promptParam: "messages",
      start: (signal) => engine.chat(request.messages, request.options, signal),
    });
  };
}
