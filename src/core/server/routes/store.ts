// Lemonade's model management under /api/v1: pull (progress as SSE), delete, and the models on
// disk and in the catalog. Downloads run in the server process; the engine only loads models.
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import type { ModelPool } from "../../engine/modelPool";
import type { ActionResult, PullComplete, PullProgressEvent, StoreModel, StoreModelList } from "../../protocol/api";
import type { CatalogEntry, ModelStore, StoredModel } from "../../store/modelStore";
import { StoreError } from "../../store/storeError";
import type { PullProgress } from "../../store/transferProgress";
import { ApiError, errorBody } from "../errors";
import { parseBody } from "../requestBody";
import { SseWriter } from "../sse";

const STATUS: Record<StoreError["code"], number> = {
  invalid_name: 400,
  not_found: 404,
  unauthorized: 403,
  rate_limited: 429,
  server_error: 502,
  network: 502,
  offline: 409,
  insufficient_space: 507,
  write_failed: 500,
  checksum_mismatch: 502,
  invalid_response: 502,
  cancelled: 499,
  in_use: 409,
};

export function storeApiError(err: unknown): ApiError | undefined {
  if (!(err instanceof StoreError)) return undefined;
  return new ApiError(STATUS[err.code], err.message, { param: err.code === "invalid_name" || err.code === "not_found" ? "model_name" : null, code: err.code });
}

export function storeRouter(store: ModelStore, pool: ModelPool, created: number): Router {
  const router = Router();

  router.get("/models", async (req, res) => {
    const showAll = req.query.show_all === "true" || req.query.show_all === "1";
    const stored = await store.list();
    const data = stored.map((m) => describeStored(m, created, pool));
    if (showAll) data.push(...(await store.catalogEntries()).filter((e) => !e.downloaded).map((e) => describeEntry(e, created)));
    res.json({ object: "list", data } satisfies StoreModelList);
  });

  router.get("/models/*id", async (req, res) => {
    const segments: unknown = req.params.id;
    const id = Array.isArray(segments) ? segments.join("/") : String(segments);
    const found = await store.find(id).catch((err: unknown) => {
      throw storeApiError(err) ?? err;
    });
    if (found) return void res.json(describeStored(found, created, pool));
    const entry = (await store.catalogEntries()).find((e) => e.id === id);
    if (!entry) throw new ApiError(404, `The model '${id}' is neither downloaded nor in the catalog.`, { param: "model", code: "model_not_found" });
    res.json(describeEntry(entry, created));
  });

  router.post("/pull", async (req, res) => {
    const name = modelName(req);
    const cancel = new AbortController();
    // A client that goes away stops the download; what it fetched stays for the next pull.
    res.once("close", () => cancel.abort());
    if (req.body.stream === true) return pullStreaming(store, name, res, cancel.signal);
    try {
      const model = await store.pull(name, { signal: cancel.signal });
      res.json({ status: "success", message: `Installed model: ${model.id}`, model: describeStored(model, created, pool) } satisfies ActionResult & { model: StoreModel });
    } catch (err) {
      throw storeApiError(err) ?? err;
    }
  });

  router.post("/delete", async (req, res) => {
    const name = modelName(req);
    try {
      const installed = await store.find(name);
      // As Lemonade does: a loaded model is unloaded before its files go.
      for (const { info } of pool.list()) if (installed?.files.includes(info.path)) await pool.unload(info.id);
      await store.remove(name);
      res.json({ status: "success", message: `Deleted model: ${name}` } satisfies ActionResult);
    } catch (err) {
      throw storeApiError(err) ?? err;
    }
  });

  return router;
}

async function pullStreaming(store: ModelStore, name: string, res: Response, signal: AbortSignal): Promise<void> {
  const sse = new SseWriter(res);
  let last: PullProgress | undefined;
  try {
    const model = await store.pull(name, {
      signal,
      onProgress: (p) => {
        last = p;
        void sse.sendEvent("progress", progressEvent(p));
      },
    });
    await sse.sendEvent("complete", { ...progressEvent(last), percent: 100, model: model.id } satisfies PullComplete);
  } catch (err) {
    const apiError = storeApiError(err) ?? new ApiError(500, "Internal server error.", { code: "internal_error" });
    if (!(err instanceof StoreError)) console.error("[squeeze] pull failed:", err);
    await sse.sendEvent("error", errorBody(apiError));
  }
  sse.end();
}

/** Lemonade's progress fields, plus the rate and time left. */
function progressEvent(p: PullProgress | undefined): PullProgressEvent {
  return {
    file: p?.file ?? "",
    file_index: p?.fileIndex ?? 0,
    total_files: p?.fileCount ?? 0,
    bytes_downloaded: p?.bytesDone ?? 0,
    bytes_total: p?.bytesTotal ?? 0,
    percent: p && p.bytesTotal > 0 ? Math.floor((100 * p.bytesDone) / p.bytesTotal) : 0,
    bytes_per_second: Math.round(p?.bytesPerSecond ?? 0),
    eta_seconds: p?.etaSeconds === null || p?.etaSeconds === undefined ? null : Math.round(p.etaSeconds),
    phase: p?.phase ?? "resolving",
    ...(p?.message ? { message: p.message } : {}),
  };
}

const MODEL_NAME = "must be a model id: a catalog id, a catalog id with :variant, or hf.co/owner/repo:QUANT";
const modelId = z.string({ error: MODEL_NAME }).trim().min(1, { error: MODEL_NAME }).nullish();
// Lemonade names the model `model_name`; Ollama's habit of `model` is taken too.
const nameBody = z.looseObject({ model_name: modelId, model: modelId });

function modelName(req: Request): string {
  const { model_name, model } = parseBody(nameBody, req.body);
  const name = model_name ?? model;
  if (!name) throw new ApiError(400, `Missing required parameter 'model_name': it ${MODEL_NAME}.`, { param: "model_name", code: "invalid_type" });
  return name;
}

/** Lemonade's model object. */
function lemonadeModel(created: number, fields: Omit<StoreModel, "object" | "created" | "owned_by">): StoreModel {
  const { id, ...rest } = fields;
  return { id, object: "model", created, owned_by: "squeeze", ...rest };
}

/** A loaded model's longest context is known from its file; one on disk only is not read for it. */
function describeStored(m: StoredModel, created: number, pool: ModelPool) {
  const loaded = pool.list().find((l) => l.info.path === m.path)?.info;
  return lemonadeModel(created, {
    ...(loaded && { max_context_window: loaded.trainedContextSize }),
    id: m.id,
    checkpoint: m.repo ?? m.path,
    recipe: m.recipe,
    size: round(m.sizeBytes / 1e9),
    downloaded: true,
    suggested: m.source === "catalog",
    labels: m.capabilities,
  });
}

function describeEntry(e: CatalogEntry, created: number) {
  const { variant } = e;
  return lemonadeModel(created, {
    id: e.id,
    checkpoint: variant.repo ? `${variant.repo}${variant.quant ? `:${variant.quant}` : ""}` : `flm:${variant.tag}`,
    recipe: variant.recipe,
    size: variant.sizeGB,
    max_context_window: e.model.contextLength,
    downloaded: e.downloaded,
    suggested: true,
    labels: e.model.capabilities,
  });
}

const round = (n: number) => Math.round(n * 100) / 100;

