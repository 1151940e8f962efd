// POST /embeddings in OpenAI's shape (as Continue's OpenAI provider, LangChain and the openai SDK
// call it): a string, strings, or token arrays in; unit-length vectors out, as floats or base64,
// optionally cut to fewer `dimensions`; a text longer than the context refused, as OpenAI does.
// Ollama's /api/embed and /api/embeddings share `embedInputs`, so a text gets the same vector
// through every route.
import type { RequestHandler, Response } from "express";
import { z } from "zod";
import type { LoadedModel } from "../../engine/modelPool";
import type { EmbedInput, EmbedOptions } from "../../protocol/types";
import { ApiError } from "../errors";
import type { ModelProvider } from "../modelProvider";
import { parseBody } from "../requestBody";
import { unitLength } from "../../util/vectors";

/** OpenAI's limit on inputs per request. */
const MAX_INPUTS = 2048;

const tokenArray = z.array(z.int().min(0));
const embeddingsBody = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1).max(MAX_INPUTS), tokenArray.min(1), z.array(tokenArray.min(1)).min(1).max(MAX_INPUTS)], {
    error: `must be a string, an array of up to ${MAX_INPUTS} strings, an array of token ids, or an array of such arrays`,
  }),
  encoding_format: z.enum(["float", "base64"]).nullish(),
  dimensions: z.int().min(1).nullish(),
});

export function embeddings(models: ModelProvider): RequestHandler {
  return async (req, res) => {
    const body = parseBody(embeddingsBody, req.body);
    const inputs: EmbedInput[] = typeof body.input === "string" ? [body.input] : isTokenArray(body.input) ? [body.input] : body.input;
    const { model, vectors, tokens } = await embedInputs(models, res, { model: body.model, inputs, dimensions: body.dimensions ?? undefined, truncate: false });
    const base64 = body.encoding_format === "base64";
    res.json({
      object: "list",
      data: vectors.map((vector, index) => ({ object: "embedding", index, embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString("base64") : vector })),
      model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  };
}

const isTokenArray = (input: unknown[]): input is number[] => typeof input[0] === "number";

export interface EmbedRequest extends EmbedOptions {
  model: string;
  inputs: EmbedInput[];
  /** Fewer dimensions than the model's: the vector's first ones, made unit-length again (Matryoshka-trained models keep their meaning so). */
  dimensions?: number;
}

/** The vectors for `inputs` from the embedding model `model` names, loaded on demand; the client going away stops a wait for the model. */
export async function embedInputs(models: ModelProvider, res: Response, request: EmbedRequest): Promise<{ model: string; loaded: LoadedModel; vectors: number[][]; tokens: number }> {
  const loaded = await models.require(request.model);
  requireTask(loaded, "embed");
  const controller = new AbortController();
  res.once("close", () => controller.abort());
  const { vectors, tokens } = await loaded.engine.embed(request.inputs, { truncate: request.truncate }, controller.signal);
  const { dimensions } = request;
  if (dimensions !== undefined && vectors[0] && dimensions > vectors[0].length) {
    throw new ApiError(400, `'dimensions' is ${dimensions}, but ${loaded.info.id} gives vectors of ${vectors[0].length}.`, { param: "dimensions", code: "invalid_value" });
  }
  return { model: loaded.info.id, loaded, vectors: dimensions === undefined ? vectors : vectors.map((v) => unitLength(v.slice(0, dimensions))), tokens };
}

/** A model asked for what it does not compute is the client's mistake, named on `model`. */
export function requireTask(model: LoadedModel, task: "embed" | "rank"): void {
  if (model.info.task === task) return;
  const does = { generate: "generates text", embed: "computes embeddings", rank: "ranks documents" }[model.info.task];
  const needs = task === "embed" ? "an embedding model (nomic-embed-text, bge, Qwen3-Embedding)" : "a reranking model (bge-reranker)";
  throw new ApiError(400, `The model '${model.info.id}' ${does}; this route needs ${needs}.`, { param: "model", code: "model_not_supported" });
}
