// POST /chat/completions.
import type { RequestHandler } from "express";
import type { ToolCall } from "../../protocol/types";
import { checkMaxTokens, parseChatRequest } from "../schemas";
import { withRequestedToolCalls } from "../toolCalls";
import type { ModelProvider } from "../modelProvider";
import { runGeneration, type GenerationShape } from "./generation";

/** Arguments stream in pieces of this many characters, as OpenAI streams them. */
const ARGUMENT_PIECE = 24;

const wireCall = (call: ToolCall) => ({ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } });

const chatShape: GenerationShape = {
  idPrefix: "chatcmpl",
  object: "chat.completion",
  chunkObject: "chat.completion.chunk",
  // The openai SDK's stream helper requires the role in the first delta.
  opening: { delta: { role: "assistant", content: "" } },
  piece: (text) => ({ delta: { content: text } }),
  // The first chunk names the call; its arguments follow in pieces.
  toolCall: (call, index) => [
    { delta: { tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }] } },
    ...pieces(call.arguments).map((part) => ({ delta: { tool_calls: [{ index, function: { arguments: part } }] } })),
  ],
  last: (finishReason) => ({ delta: {}, finish_reason: finishReason }),
  whole: (text, finishReason, toolCalls) => ({
    message: toolCalls.length > 0 ? { role: "assistant", content: text || null, tool_calls: toolCalls.map(wireCall) } : { role: "assistant", content: text },
    finish_reason: finishReason,
  }),
};

function pieces(text: string): string[] {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += ARGUMENT_PIECE) parts.push(text.slice(i, i + ARGUMENT_PIECE));
  return parts;
}

export function chatCompletions(models: ModelProvider): RequestHandler {
  return async (req, res) => {
    const request = parseChatRequest(req.body);
    const { info: model, engine } = await models.require(request.model);
    checkMaxTokens(request, model.contextSize);
    await runGeneration(res, {
      shape: chatShape,
      model: model.id,
      stream: request.stream,
      includeUsage: request.includeUsage,
      promptParam: "messages",
      start: (signal) => withRequestedToolCalls(engine.chat(request.messages, request.options, signal), request.options),
    });
  };
}
