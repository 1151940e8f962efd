// POST /api/generate: a prompt through the chat template (as Ollama applies the model's template),
// the bare prompt with `raw`, or fill-in-the-middle with `suffix`.
import type { RequestHandler } from "express";
import type { Engine } from "../../../protocol/engine";
import type { ChatMessage, GenerationEvent, GenerationOptions } from "../../../protocol/types";
import { clientId } from "../../clientId";
import { checkKeepAlive, keepAlive, runOllamaGeneration, sendLoaded, withContextLimit } from "./generation";
import { requireModel } from "./models";
import type { ModelProvider } from "../../modelProvider";
import { parseGenerateRequest, type OllamaGenerateRequest } from "./schemas";

export function generate(models: ModelProvider): RequestHandler {
  return async (req, res) => {
    const request = parseGenerateRequest(req.body);
    checkKeepAlive(res, request.keepAliveMs);
    const model = await requireModel(models, request.model);
    const job = { model: request.model, text: (response: string) => ({ response }) };
    if (request.prompt === "" && request.suffix === undefined) return sendLoaded(res, job, models.pool, model, request.keepAliveMs);
    const options = { ...withContextLimit(request.options, model.info.contextSize), client: clientId(req) };
    try {
      await runOllamaGeneration(res, {
        ...job,
        stream: request.stream,
        promptParam: "prompt",
        start: (signal) => start(model.engine, request, options, signal),
      });
    } finally {
      keepAlive(models.pool, model, request.keepAliveMs);
    }
  };
}

function start(engine: Engine, request: OllamaGenerateRequest, options: GenerationOptions, signal: AbortSignal): AsyncIterable<GenerationEvent> {
  const { prompt, suffix, system } = request;
  if (suffix !== undefined) return engine.infill(prompt, suffix, options, signal);
  if (request.raw) return engine.complete(prompt, options, signal);
  const messages: ChatMessage[] = [...(system ? [{ role: "system" as const, content: system }] : []), { role: "user", content: prompt }];
  return engine.chat(messages, options, signal);
}
