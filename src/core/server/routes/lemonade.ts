// Lemonade's management endpoints under /api/v1: health, stats of the last request, system-info,
// load and unload. (pull, delete and the models on disk are in store.ts.)
import path from "node:path";
import { Router } from "express";
import { z } from "zod";
import type { LoadedModel } from "../../engine/modelPool";
import type { ActionResult, Health, Stats } from "../../protocol/api";
import type { ModelInfo } from "../../protocol/types";
import { probeHardware } from "../../hardware/probe";
import { repoOfCacheFolder } from "../../store/hfCache";
import { checkModelId } from "../../store/names";
import { ApiError } from "../errors";
import { jsonBody, parseBody } from "../requestBody";
import type { ModelProvider } from "../modelProvider";
import type { ServerLife } from "../serverLife";
import { healthFields } from "./health";
import { lemonadeSystemInfo } from "./lemonadeSystemInfo";
import { deviceOf, modelStatus } from "./modelStatus";
import { storeApiError } from "./store";

export interface LemonadeOptions {
  version: string;
  life: ServerLife;
}

const MODEL_ID = "must be a model id: a catalog id (with :variant), hf.co/owner/repo:QUANT, or a user model id";
const CTX_SIZE = "must be an integer from 64 to 1048576, or -1 for the model's default";

const loadBody = z.looseObject({
  model_name: z.string({ error: MODEL_ID }).trim().min(1, { error: MODEL_ID }),
  ctx_size: z
    .int({ error: CTX_SIZE })
    .refine((n) => n === -1 || (n >= 64 && n <= 1 << 20), { error: CTX_SIZE })
    .nullish(),
  pinned: z.boolean({ error: "must be true or false" }).nullish(),
});

const unloadBody = z.looseObject({
  model_name: z.string({ error: "must be a model id" }).trim().min(1, { error: "must be a model id" }).nullish(),
});

const pinBody = z.looseObject({
  model_name: z.string({ error: MODEL_ID }).trim().min(1, { error: MODEL_ID }),
  pinned: z.boolean({ error: "must be true or false" }).nullish(),
});

export function lemonadeRouter(models: ModelProvider, { version, life }: LemonadeOptions): Router {
  const { pool } = models;
  const router = Router();

  router.get("/health", (_req, res) => {
    const loaded = pool.list();
    res.json({
      // Squeeze's fields stay: other Squeeze processes recognise a server by them.
      ...healthFields(pool, version, life),
      model_loaded: pool.forRole("chat")?.info.id ?? null,
      all_models_loaded: loaded.map((m) => ({ ...loadedModel(m.info), squeeze: modelStatus(m) })),
      max_models: { llm: pool.maxLoaded },
    } satisfies Health);
  });

  router.get("/stats", (_req, res) => {
    const last = pool.timer.last;
    res.json({
      ...pool.stats(),
      requests_in_flight: pool.list().reduce((sum, m) => sum + m.engine.inFlight(), 0),
      time_to_first_token: last ? round(last.timeToFirstToken, 4) : null,
      tokens_per_second: last ? round(last.tokensPerSecond, 2) : null,
      input_tokens: last?.inputTokens ?? null,
      output_tokens: last?.outputTokens ?? null,
      prompt_tokens: last?.inputTokens ?? null,
      cache_tokens: last?.cachedTokens ?? null,
    } satisfies Stats);
  });

  router.get("/system-info", async (_req, res) => {
    res.json(lemonadeSystemInfo(await probeHardware()));
  });

  router.post("/load", async (req, res) => {
    const body = parseBody(loadBody, jsonBody(req, false));
    const id = checkLoadableId(body.model_name);
    // Served under the name it was loaded by, so the client can use that name in its requests.
    const contextSize = body.ctx_size === -1 ? undefined : (body.ctx_size ?? undefined);
    const { info } = await models.load(id, contextSize, "model_name", body.pinned == null ? {} : { pinned: body.pinned });
    res.json({ status: "success", message: `Loaded model: ${info.id}` } satisfies ActionResult);
  });

  // Lemonade's pin: a pinned model is never unloaded to make room for another.
  router.post("/pin", (req, res) => {
    const { model_name: name, pinned } = parseBody(pinBody, jsonBody(req, false));
    if (!pool.setPinned(name, pinned ?? true)) throw notLoaded(name, pool.list());
    res.json({ status: "success", message: `${pinned === false ? "Unpinned" : "Pinned"} model: ${name}` } satisfies ActionResult);
  });

  // Without a name, every model goes (Lemonade's `lemonade unload`).
  router.post("/unload", async (req, res) => {
    const { model_name: name } = parseBody(unloadBody, jsonBody(req, true));
    if (!name) await pool.unloadAll();
    else if (!(await pool.unload(name))) throw notLoaded(name, pool.list());
    res.json({ status: "success", message: "Model unloaded successfully" } satisfies ActionResult);
  });

  return router;
}

function notLoaded(name: string, loaded: LoadedModel[]): ApiError {
  const ids = loaded.map((m) => `'${m.info.id}'`).join(", ");
  return new ApiError(404, `Model not found: '${name}' is not loaded${ids ? `; loaded: ${ids}` : ""}.`, { param: "model_name", code: "model_not_found" });
}

/** Lemonade's entry for a loaded model. */
function loadedModel(model: ModelInfo) {
  return {
    model_name: model.id,
    checkpoint: checkpoint(model),
    // Lemonade's model types.
    type: { generate: "llm", embed: "embedding", rank: "reranking" }[model.task],
    device: deviceOf(model),
    recipe: RECIPE[model.backend](model),
    recipe_options: { ctx_size: model.contextSize },
    backend: model.backend,
  };
}

const RECIPE: Record<ModelInfo["backend"], (model: ModelInfo) => string> = {
  "llama.cpp": () => "llamacpp",
  onnx: (model) => `onnx-${model.gpu || "cpu"}`,
  // Lemonade's name for either of ryzenai-server's recipes: which one is not recorded on the model.
  ryzenai: () => "ryzenai-llm",
  flm: () => "flm",
};

/**
 * The Hugging Face repo (and file) for a model in the hub cache, else the file or folder name:
 * health needs no API key, so it names no local paths.
 */
function checkpoint(model: ModelInfo): string {
  if (model.backend === "flm") return model.path;
  const parts = model.path.split(/[\\/]/);
  const at = parts.findIndex((part) => repoOfCacheFolder(part) !== undefined);
  const repo = at >= 0 && parts[at + 1] === "snapshots" ? repoOfCacheFolder(parts[at]) : undefined;
  if (!repo) return path.basename(model.path);
  const file = parts.slice(at + 3).join("/");
  return file ? `${repo}:${file}` : repo;
}

/** A client's model name, refused (400) when it could be anything but an id. */
function checkLoadableId(name: string): string {
  try {
    checkModelId(name);
  } catch (err) {
    throw storeApiError(err) ?? err;
  }
  if (/[\\/]/.test(name) && !name.startsWith("hf.co/")) {
    throw new ApiError(400, `'${name}' is not a model id: only hf.co/owner/repo:QUANT ids contain '/', and models are never loaded by path.`, {
      param: "model_name",
      code: "invalid_name",
    });
  }
  return name;
}

const round = (n: number, places: number) => Math.round(n * 10 ** places) / 10 ** places;
