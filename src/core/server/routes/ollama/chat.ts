// POST /api/chat: the messages rendered with the model's chat template.
import type { RequestHandler } from "express";
import { parseArguments } from "../../../backends/tools/hermesFormat";
import type { ToolCall } from "../../../engine/types";
import { withRequestedToolCalls } from "../../toolCalls";
import { runOllamaGeneration, sendLoaded, withContextLimit } from "./generation";
import { requireModel } from "./models";
import type { ModelProvider } from "../../modelProvider";
import { parseChatRequest } from "./schemas";

/** Ollama's assistant message: calls carry their arguments as an object. */
const assistant = (content: string, calls: ToolCall[] = []) => ({
  message: {
    role: "assistant",
    content,
    ...(calls.length > 0 && { tool_calls: calls.map((c) => ({ function: { name: c.name, arguments: parseArguments(c.arguments) } })) }),
  },
});

export function chat(models: ModelProvider): RequestHandler {
  return async (req, res) => {
    const request = parseChatRequest(req.body);
    const model = await requireModel(models, request.model);
    const job = { model: request.model, text: assistant };
    if (request.messages.length === 0) return sendLoaded(res, job);
    const options = withContextLimit(request.options, model.contextSize);
    await runOllamaGeneration(res, {
      ...job,
      stream: request.stream,
      promptParam: "messages",
      start: (signal) => withRequestedToolCalls(models.engine.chat(request.messages, options, signal), options),
    });
  };
}
