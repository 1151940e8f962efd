// POST /fim/completions: fill-in-the-middle as Continue's OpenAI adapter and Mistral's clients
// call it: /completions' request with `suffix` required.
import type { RequestHandler } from "express";
import { ApiError } from "../errors";
import type { ModelProvider } from "../modelProvider";
import { parseCompletionRequest } from "../schemas";
import { completionShape, runCompletion } from "./completions";
import type { GenerationShape } from "./generation";

/**
 * Text completion objects, whose choices also carry the text where chat clients look: Continue
 * reads a FIM stream's `choices[0].delta.content` (Mistral's FIM answers that way), OpenAI's
 * completion clients `choices[0].text`.
 */
const fimShape: GenerationShape = {
  ...completionShape,
  piece: (text) => ({ text, delta: { content: text } }),
  last: (finishReason) => ({ text: "", delta: {}, finish_reason: finishReason }),
  whole: (text, finishReason) => ({ text, message: { role: "assistant", content: text }, finish_reason: finishReason }),
};

export function fimCompletions(models: ModelProvider): RequestHandler {
  return async (req, res) => {
    const request = parseCompletionRequest(req.body);
    if (request.suffix === undefined) {
      throw new ApiError(400, "Missing required parameter 'suffix': the text after the cursor (it may be empty).", {
        param: "suffix",
        code: "invalid_type",
      });
    }
    await runCompletion(models, req, res, request, fimShape);
  };
}
