// POST /api/chat: the messages rendered with the model's chat template.
import type { RequestHandler } from "express";
import { parseArguments } from "../../../backends/tools/hermesFormat";
import type { ToolCall } from "../../../protocol/types";
import { withRequestedToolCalls } from "../../toolCalls";
import { checkKeepAlive, keepAlive, runOllamaGeneration, sendLoaded, withContextLimit } from "./generation";
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
    checkKeepAlive(res, request.keepAliveMs);
    const model = await requireModel(models, request.model);
    const job = { model: request.model, text: assistant };
    if (request.messages.length === 0) return sendLoaded(res, job, models.pool, model, request.keepAliveMs);
    const options = withContextLimit(request.options, model.info.contextSize);
    try {
      await runOllamaGeneration(res, {
        ...job,
        stream: request.stream,
        promptParam: "messages",
        start: (signal) => withRequestedToolCalls(model.engine.chat(request.messages, options, signal), options),
      });
    } finally {
      keepAlive(models.pool, model, request.keepAliveMs);
    }
  };
}
