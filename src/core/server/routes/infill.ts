// POST /infill: llama.cpp's fill-in-the-middle, as llama.vscode and llama.vim send it (input_prefix,
// input_suffix, input_extra, prompt, n_predict, t_max_predict_ms) and read it back (content,
// tokens_cached, timings). It runs the completion path of /completions with `suffix`: the same
// per-client KV sequences, time budget and extra context. `prompt` (the cursor's line so far) goes
// after the model's middle marker, as llama.cpp puts it, so typing along a line evaluates only the
// typed characters again.
import type { RequestHandler } from "express";
import { z } from "zod";
import { clientId } from "../clientId";
import { driveGeneration, type GenerationFormat, type GenerationResult } from "../generationDriver";
import type { ModelProvider } from "../modelProvider";
import { parseBody } from "../requestBody";
import { definedOptions, extraChunks, inputExtra, samplerFields, samplerOptions } from "../schemas";
import { sendError } from "../errors";
import { sseStreamWriter } from "../sse";

const MAX_STOP_SEQUENCES = 16;

// llama.cpp's other fields (samplers, cache_prompt, n_indent, t_max_prompt_ms, id_slot, lora) are
// accepted and left out: the KV cache is always reused, and the sampler chain is the engine's.
const infillBody = z.looseObject({
  model: z.string().nullish(),
  input_prefix: z.string().default(""),
  input_suffix: z.string().default(""),
  input_extra: inputExtra,
  prompt: z.string().default(""),
  // -1: until the model stops or the context is full; 0: evaluate the prompt only (a cache warm-up).
  n_predict: z.int().min(-1).nullish(),
  t_max_predict_ms: z.int().min(0).max(600_000).nullish(),
  ...samplerFields,
  stop: z.array(z.string().min(1)).max(MAX_STOP_SEQUENCES, `must hold at most ${MAX_STOP_SEQUENCES} strings`).nullish(),
  stream: z.boolean().nullish(),
});

export function infill(models: ModelProvider): RequestHandler {
  return async (req, res) => {
    const body = parseBody(infillBody, req.body);
    // llama.vscode sends no model, or a blank one: the completion model serves it, as llama-server's only model would.
    const named = body.model?.trim();
    const { info: model, engine } = named ? await models.require(named) : models.loadedFor("completion");
    const warmUp = body.n_predict === 0;
    const options = definedOptions({
      // A warm-up still computes the answer's first token, which is dropped.
      maxTokens: warmUp ? 1 : body.n_predict != null && body.n_predict > 0 ? body.n_predict : undefined,
      // llama.cpp's 0 is no budget.
      maxPredictMs: body.t_max_predict_ms || undefined,
      ...samplerOptions(body),
      stop: body.stop?.length ? body.stop : undefined,
      inputExtra: body.input_extra?.length ? extraChunks(body.input_extra) : undefined,
      middle: body.prompt || undefined,
      client: clientId(req),
    });
    await driveGeneration(
      res,
      { stream: body.stream ?? false, promptParam: "prompt", start: (signal) => engine.infill(body.input_prefix, body.input_suffix, options, signal) },
      llamaCppFormat(model.id, warmUp),
    );
  };
}

/** llama.cpp's /completion answer: `content` and `stop`, and at the end its counts and timings; its stream has no end marker. */
function llamaCppFormat(model: string, warmUp: boolean): GenerationFormat {
  const final = (result: GenerationResult) => {
    const { usage, timing } = result;
    const ms = (from: bigint, to: bigint) => Number(to - from) / 1e6;
    const promptMs = ms(timing.started, timing.first);
    const predictedMs = ms(timing.first, timing.ended);
    const evaluated = usage.promptTokens - usage.cachedTokens;
    const predicted = warmUp ? 0 : usage.completionTokens;
    return {
      index: 0,
      content: warmUp ? "" : result.text,
      stop: true,
      model,
      tokens_predicted: predicted,
      tokens_evaluated: usage.promptTokens,
      tokens_cached: usage.cachedTokens,
      truncated: false,
      stop_type: result.finishReason === "stop" ? "eos" : "limit",
      timings: {
        prompt_n: evaluated,
        prompt_ms: promptMs,
        prompt_per_second: promptMs > 0 ? (evaluated * 1000) / promptMs : 0,
        predicted_n: predicted,
        predicted_ms: predictedMs,
        predicted_per_second: predictedMs > 0 ? (predicted * 1000) / predictedMs : 0,
      },
    };
  };
  return {
    open: (res) => sseStreamWriter(res, "none"),
    opening: () => [],
    piece: (text) => (warmUp ? [] : [{ index: 0, content: text, stop: false }]),
    toolCall: () => [],
    last: (result) => [final(result)],
    whole: final,
    sendError,
  };
}
