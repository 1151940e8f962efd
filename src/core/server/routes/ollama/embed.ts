// POST /api/embed and the older /api/embeddings in Ollama's shapes, as Continue's Ollama provider
// and the `ollama` client call them: the vectors of /v1/embeddings (embeddings.ts), with Ollama's
// truncate (on unless false), dimensions and keep_alive.
import type { RequestHandler } from "express";
import { z } from "zod";
import { parseBody } from "../../requestBody";
import type { ModelProvider } from "../../modelProvider";
import { embedInputs } from "../embeddings";
import { checkKeepAlive, keepAlive } from "./generation";
import { keepAliveField } from "./keepAlive";
import { requireModel } from "./models";

const common = { model: z.string().min(1), keep_alive: keepAliveField.nullish(), options: z.looseObject({}).nullish() };

const embedBody = z.looseObject({
  ...common,
  input: z.union([z.string(), z.array(z.string()).min(1).max(2048)], { error: "must be a string or an array of strings" }),
  truncate: z.boolean().nullish(),
  dimensions: z.int().min(1).nullish(),
});

const legacyBody = z.looseObject({ ...common, prompt: z.string() });

export function embed(models: ModelProvider): RequestHandler {
  return async (req, res) => {
    const body = parseBody(embedBody, req.body);
    checkKeepAlive(res, body.keep_alive ?? undefined);
    const started = process.hrtime.bigint();
    // Ollama's names resolve as its other routes' do (`<id>:latest`).
    const { info } = await requireModel(models, body.model);
    const inputs = typeof body.input === "string" ? [body.input] : body.input;
    const { loaded, vectors, tokens } = await embedInputs(models, res, { model: info.id, inputs, truncate: body.truncate ?? true, dimensions: body.dimensions ?? undefined });
    keepAlive(models.pool, loaded, body.keep_alive ?? undefined);
    res.json({ model: body.model, embeddings: vectors, total_duration: Number(process.hrtime.bigint() - started), load_duration: 0, prompt_eval_count: tokens });
  };
}

export function embeddings(models: ModelProvider): RequestHandler {
  return async (req, res) => {
    const body = parseBody(legacyBody, req.body);
    checkKeepAlive(res, body.keep_alive ?? undefined);
    const { info } = await requireModel(models, body.model);
    const { loaded, vectors } = await embedInputs(models, res, { model: info.id, inputs: [body.prompt], truncate: true });
    keepAlive(models.pool, loaded, body.keep_alive ?? undefined);
    res.json({ embedding: vectors[0] });
  };
}
