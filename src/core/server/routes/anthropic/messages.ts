// Anthropic's Messages API (POST /v1/messages and /v1/messages/count_tokens), as Claude Code and
// the Anthropic SDK call it: the same chat path as OpenAI's, answered as a message of content
// blocks with Anthropic's stop reasons and usage, or streamed as its named events
// (message_start, content_block_start/delta/stop, message_delta, message_stop; ping while the
// prompt is evaluated), and every failure in Anthropic's error shape.
import { randomBytes } from "node:crypto";
import { Router, type RequestHandler } from "express";
import { parseArguments } from "../../../backends/tools/hermesFormat";
import type { ToolCall } from "../../../protocol/types";
import { ApiError } from "../../errors";
import { driveGeneration, type GenerationFormat, type GenerationResult } from "../../generationDriver";
import type { ModelProvider } from "../../modelProvider";
import { checkMaxTokens } from "../../schemas";
import { namedEventStreamWriter } from "../../sse";
import { withRequestedToolCalls } from "../../toolCalls";
import { anthropicError, anthropicErrors, sendAnthropicError } from "./errors";
import { parseCountRequest, parseMessagesRequest } from "./schemas";

export function anthropicRouter(models: ModelProvider): Router {
  const router = Router();
  router.post("/messages", messages(models));
  router.post("/messages/count_tokens", countTokens(models));
  // Anything else under /messages is still Anthropic's, and told so in its shape.
  router.all(["/messages", "/messages/*rest"], (req) => {
    throw new ApiError(404, `There is no endpoint ${req.method} ${req.baseUrl}${req.path}.`, { code: "unknown_url" });
  });
  router.use("/messages", anthropicErrors);
  return router;
}

function messages(models: ModelProvider): RequestHandler {
  return async (req, res) => {
    const request = parseMessagesRequest(req.body);
    const { info: model, engine } = await models.require(request.model);
    checkMaxTokens({ options: request.options, maxTokensParam: "max_tokens" }, model.contextSize);
    await driveGeneration(
      res,
      { stream: request.stream, promptParam: "messages", start: (signal) => withRequestedToolCalls(engine.chat(request.messages, request.options, signal), request.options) },
      messageFormat(model.id, request.options.stop ?? []),
    );
  };
}

function countTokens(models: ModelProvider): RequestHandler {
  return async (req, res) => {
    const request = parseCountRequest(req.body);
    const { engine } = await models.require(request.model);
    const tokens = await engine.tokenize({ messages: request.messages, ...(request.tools.length > 0 && { tools: request.tools }) });
    res.json({ input_tokens: tokens.length });
  };
}

type Block = Record<string, unknown>;

/** One message's events and answer: one id; content blocks counted as they open. */
function messageFormat(model: string, stops: readonly string[]): GenerationFormat {
  const id = `msg_${randomBytes(12).toString("hex")}`;
  let index = -1;
  let textOpen = false;
  const open = (block: Block) => ({ type: "content_block_start", index: ++index, content_block: block });
  const closeText = () => {
    if (!textOpen) return [];
    textOpen = false;
    return [{ type: "content_block_stop", index }];
  };
  const stopSequence = (r: GenerationResult) => (r.stopSequence !== undefined && stops.includes(r.stopSequence) ? r.stopSequence : null);
  const stopReason = (r: GenerationResult) =>
    r.calls.length > 0 ? "tool_use" : r.finishReason === "length" ? "max_tokens" : stopSequence(r) !== null ? "stop_sequence" : "end_turn";
  // Anthropic counts the prompt's cached part apart from input_tokens.
  const usage = ({ usage: u }: GenerationResult) => ({
    input_tokens: u.promptTokens - u.cachedTokens,
    cache_read_input_tokens: u.cachedTokens,
    cache_creation_input_tokens: 0,
    output_tokens: u.completionTokens,
  });
  const toolUse = (call: ToolCall) => ({ type: "tool_use", id: call.id, name: call.name, input: parseArguments(call.arguments) });
  return {
    open: (res) => namedEventStreamWriter(res, { failure: anthropicError, keepAlive: () => ({ type: "ping" }) }),
    opening: () => [
      {
        type: "message_start",
        // The counts come with message_delta, once the prompt is evaluated and the answer done.
        message: { id, type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } },
      },
    ],
    piece(text) {
      const start = textOpen ? [] : [open({ type: "text", text: "" })];
      textOpen = true;
      return [...start, { type: "content_block_delta", index, delta: { type: "text_delta", text } }];
    },
    toolCall: (call) => [
      ...closeText(),
      open({ type: "tool_use", id: call.id, name: call.name, input: {} }),
      { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: call.arguments } },
      { type: "content_block_stop", index },
    ],
    last: (result) => [
      ...closeText(),
      { type: "message_delta", delta: { stop_reason: stopReason(result), stop_sequence: stopSequence(result) }, usage: usage(result) },
      { type: "message_stop" },
    ],
    whole: (result) => ({
      id,
      type: "message",
      role: "assistant",
      model,
      content: [...(result.text ? [{ type: "text", text: result.text }] : []), ...result.calls.map(toolUse)],
      stop_reason: stopReason(result),
      stop_sequence: stopSequence(result),
      usage: usage(result),
    }),
    sendError: sendAnthropicError,
  };
}
