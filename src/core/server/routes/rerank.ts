// POST /rerank (also /reranking) in llama.cpp's shape, as Lemonade serves it and Continue's
// rerankers call it: a query and documents in; each document's relevance (in [0, 1], from the
// reranking model's classifier) out, best first, as llama.cpp's `results` and, for clients that
// read that name, the same entries as `data`.
import type { RequestHandler } from "express";
import { z } from "zod";
import type { ModelProvider } from "../modelProvider";
import { parseBody } from "../requestBody";
import { requireTask } from "./embeddings";

const MAX_DOCUMENTS = 1024;

const rerankBody = z.looseObject({
  model: z.string().min(1),
  query: z.string(),
  // Strings, or Cohere's and Jina's {text} objects.
  documents: z
    .array(z.union([z.string(), z.looseObject({ text: z.string() })], { error: "must be a string or {text}" }))
    .min(1)
    .max(MAX_DOCUMENTS),
  top_n: z.int().min(1).nullish(),
  return_documents: z.boolean().nullish(),
});

export function rerank(models: ModelProvider): RequestHandler {
  return async (req, res) => {
    const body = parseBody(rerankBody, req.body);
    const documents = body.documents.map((d) => (typeof d === "string" ? d : d.text));
    const loaded = await models.require(body.model);
    requireTask(loaded, "rank");
    const controller = new AbortController();
    res.once("close", () => controller.abort());
    // A document too long for the context is cut rather than refused, as llama.cpp's server does.
    const { scores, tokens } = await loaded.engine.rank(body.query, documents, { truncate: true }, controller.signal);
    const results = scores
      .map((relevance_score, index) => ({ index, relevance_score, ...(body.return_documents && { document: { text: documents[index] } }) }))
      .sort((a, b) => b.relevance_score - a.relevance_score)
      .slice(0, body.top_n ?? documents.length);
    res.json({ object: "list", model: loaded.info.id, results, data: results, usage: { prompt_tokens: tokens, total_tokens: tokens } });
  };
}
