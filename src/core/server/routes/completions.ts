// POST /completions: plain continuation, or fill-in-the-middle when `suffix` is given.
import type { Request, RequestHandler, Response } from "express";
import { clientId } from "../clientId";
import { checkMaxTokens, parseCompletionRequest, type CompletionRequest } from "../schemas";
import type { ModelProvider } from "../modelProvider";
import { runGeneration, type GenerationShape } from "./generation";

export const completionShape: GenerationShape = {
  idPrefix: "cmpl",
  object: "text_completion",
  // OpenAI's legacy endpoint names its stream chunks like the full object.
  chunkObject: "text_completion",
  piece: (text) => ({ text }),
  last: (finishReason) => ({ text: "", finish_reason: finishReason }),
  whole: (text, finishReason) => ({ text, finish_reason: finishReason }),
};

export function completions(models: ModelProvider): RequestHandler {
  return async (req, res) => {
    await runCompletion(models, req, res, parseCompletionRequest(req.body));
  };
}

/** A parsed completion request, answered in `shape`; /fim/completions shares it. */
export async function runCompletion(models: ModelProvider, req: Request, res: Response, request: CompletionRequest, shape = completionShape): Promise<void> {
  const { info: model, engine } = await models.require(request.model);
  checkMaxTokens(request, model.contextSize);
  const { prompt, suffix } = request;
  const options = { ...request.options, client: clientId(req) };
  await runGeneration(res, {
    shape,
    model: model.id,
    stream: request.stream,
    includeUsage: request.includeUsage,
    promptParam: "prompt",
    start: (signal) =>
      suffix === undefined ? engine.complete(prompt, options, signal) : engine.infill(prompt, suffix, options, signal),
  });
}
