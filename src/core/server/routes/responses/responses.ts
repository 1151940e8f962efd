// OpenAI's Responses API (POST /v1/responses, GET and DELETE /v1/responses/{id}), as newer OpenAI
// SDK code and Codex call it: the chat path, answered as a response object whose output holds a
// message and function calls, or streamed as its typed events (response.created … response.completed,
// keepalive while the prompt is evaluated), with previous_response_id continuing a conversation
// kept in the server's memory.
import { randomBytes } from "node:crypto";
import { Router, type RequestHandler } from "express";
import type { ChatMessage, ToolCall } from "../../../protocol/types";
import { ApiError, errorBody, sendError } from "../../errors";
import { driveGeneration, type GenerationFormat, type GenerationResult } from "../../generationDriver";
import type { ModelProvider } from "../../modelProvider";
import { checkMaxTokens } from "../../schemas";
import { namedEventStreamWriter } from "../../sse";
import { withRequestedToolCalls } from "../../toolCalls";
import { ResponseStore } from "./responseStore";
import { parseResponsesRequest, type ResponsesRequest } from "./schemas";

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString("hex")}`;

export function responsesRouter(models: ModelProvider, store = new ResponseStore()): Router {
  const router = Router();
  router.post("/responses", create(models, store));
  router.get("/responses/:id", (req, res) => {
    res.json(stored(store, req.params.id, "id").response);
  });
  router.delete("/responses/:id", (req, res) => {
    const id = req.params.id;
    if (!store.delete(id)) stored(store, id, "id");
    res.json({ id, object: "response", deleted: true });
  });
  return router;
}

function stored(store: ResponseStore, id: string, param: string) {
  const found = store.get(id);
  if (!found) {
    throw new ApiError(404, `No response with id '${id}' is kept here: responses are kept in the server's memory, the most recent ones only, until it stops.`, { param, code: "response_not_found" });
  }
  return found;
}

function create(models: ModelProvider, store: ResponseStore): RequestHandler {
  return async (req, res) => {
    const request = parseResponsesRequest(req.body);
    const earlier = request.previousResponseId ? stored(store, request.previousResponseId, "previous_response_id").conversation : [];
    const conversation = [...earlier, ...request.input];
    const messages: ChatMessage[] = [...(request.instructions ? [{ role: "system" as const, content: request.instructions }] : []), ...conversation];
    const { info: model, engine } = await models.require(request.model);
    checkMaxTokens({ options: request.options, maxTokensParam: "max_output_tokens" }, model.contextSize);
    const keep = (response: Record<string, unknown>, output: ChatMessage) => {
      if (request.store) store.put(response.id as string, { response, conversation: [...conversation, output] });
    };
    await driveGeneration(
      res,
      { stream: request.stream, promptParam: "messages", start: (signal) => withRequestedToolCalls(engine.chat(messages, request.options, signal), request.options) },
      responseFormat(model.id, request, keep),
    );
  };
}

/** One response's object and events: one id, items numbered as they are added, events numbered in order. */
function responseFormat(model: string, request: ResponsesRequest, keep: (response: Record<string, unknown>, output: ChatMessage) => void): GenerationFormat {
  const id = newId("resp");
  const createdAt = Math.floor(Date.now() / 1000);
  const messageId = newId("msg");
  let sequence = 0;
  const event = (type: string, fields: Record<string, unknown>) => ({ type, ...fields, sequence_number: sequence++ });

  const envelope = (status: string, output: unknown[], result?: GenerationResult) => ({
    id,
    object: "response",
    created_at: createdAt,
    status,
    model,
    output,
    error: null,
    incomplete_details: result?.finishReason === "length" && result.calls.length === 0 ? { reason: "max_output_tokens" } : null,
    instructions: request.instructions ?? null,
    previous_response_id: request.previousResponseId ?? null,
    metadata: {},
    parallel_tool_calls: true,
    store: request.store,
    ...request.echo,
    usage: result
      ? {
          input_tokens: result.usage.promptTokens,
          input_tokens_details: { cached_tokens: result.usage.cachedTokens },
          output_tokens: result.usage.completionTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: result.usage.promptTokens + result.usage.completionTokens,
        }
      : null,
  });
  const status = (result: GenerationResult) => (result.finishReason === "length" && result.calls.length === 0 ? "incomplete" : "completed");
  const textPart = (text: string) => ({ type: "output_text", text, annotations: [], logprobs: [] });
  const message = (text: string, state: string) => ({ type: "message", id: messageId, status: state, role: "assistant", content: state === "in_progress" ? [] : [textPart(text)] });
  const functionCall = (call: ToolCall, state: string, itemId: string) => ({ type: "function_call", id: itemId, call_id: call.id, name: call.name, arguments: state === "in_progress" ? "" : call.arguments, status: state });
  /** The output items of a finished answer, and the response kept for a later previous_response_id. */
  const finished = (result: GenerationResult, text: string, callIds: string[]) => {
    const output = [...(text || result.calls.length === 0 ? [message(text, "completed")] : []), ...result.calls.map((c, i) => functionCall(c, "completed", callIds[i]!))];
    const response = envelope(status(result), output, result);
    keep(response, { role: "assistant", content: text, ...(result.calls.length > 0 && { toolCalls: result.calls }) });
    return response;
  };

  // A stream's state: the text so far, where the message sits among the items, the calls' item ids.
  let text = "";
  let messageIndex: number | undefined;
  let items = 0;
  const callIds: string[] = [];
  const closeMessage = () => {
    if (messageIndex === undefined) return [];
    const at = { item_id: messageId, output_index: messageIndex, content_index: 0 };
    const done = [
      event("response.output_text.done", { ...at, text, logprobs: [] }),
      event("response.content_part.done", { ...at, part: textPart(text) }),
      event("response.output_item.done", { output_index: messageIndex, item: message(text, "completed") }),
    ];
    messageIndex = undefined;
    return done;
  };
  return {
    open: (res) => namedEventStreamWriter(res, { failure: (err) => event("error", { ...errorBody(err).error }), keepAlive: () => event("keepalive", {}) }),
    opening: () => [event("response.created", { response: envelope("in_progress", []) }), event("response.in_progress", { response: envelope("in_progress", []) })],
    piece(piece) {
      const opened = [];
      if (messageIndex === undefined) {
        messageIndex = items++;
        opened.push(
          event("response.output_item.added", { output_index: messageIndex, item: message("", "in_progress") }),
          event("response.content_part.added", { item_id: messageId, output_index: messageIndex, content_index: 0, part: textPart("") }),
        );
      }
      text += piece;
      return [...opened, event("response.output_text.delta", { item_id: messageId, output_index: messageIndex, content_index: 0, delta: piece, logprobs: [] })];
    },
    toolCall(call) {
      const itemId = newId("fc");
      callIds.push(itemId);
      const at = { item_id: itemId, output_index: items++ };
      return [
        ...closeMessage(),
        event("response.output_item.added", { output_index: at.output_index, item: functionCall(call, "in_progress", itemId) }),
        event("response.function_call_arguments.delta", { ...at, delta: call.arguments }),
        event("response.function_call_arguments.done", { ...at, name: call.name, arguments: call.arguments }),
        event("response.output_item.done", { output_index: at.output_index, item: functionCall(call, "completed", itemId) }),
      ];
    },
    last(result) {
      const closing = closeMessage();
      // A stream that said nothing and called nothing still answers with its (empty) message.
      const response = finished(result, text, callIds);
      return [...closing, event(status(result) === "completed" ? "response.completed" : "response.incomplete", { response })];
    },
    whole: (result) => finished(result, result.text, result.calls.map(() => newId("fc"))),
    sendError,
  };
}
