// POST /api/chat: the messages rendered with the model's chat template.
import type { RequestHandler } from "express";
import type { Engine } from "../../../engine/engine";
import { runOllamaGeneration, sendLoaded, withContextLimit } from "./generation";
import { requireModel } from "./models";
import { parseChatRequest } from "./schemas";

const assistant = (content: string) => ({ message: { role: "assistant", content } });

export function chat(engine: Engine): RequestHandler {
  return async (req, res) => {
    const request = parseChatRequest(req.body);
    const model = requireModel(engine, request.model);
    const job = { model: request.model, text: assistant };
    if (request.messages.length === 0) return sendLoaded(res, job);
    const options = withContextLimit(request.options, model.contextSize);
    await runOllamaGeneration(res, {
      ...job,
      stream: request.stream,
      promptParam: "messages",
      start: (signal) => engine.chat(request.messages, options, signal),
    });
  };
}
