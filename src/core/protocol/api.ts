// Squeeze's own response bodies on the local API, which its clients (the extension first) read:
// health, stats, the models on disk, pull progress, the attach stream's identity, and errors. Each
// is defined once here; the server builds its answers typed by these schemas and the extension's
// client parses what it receives with them. Fields newer servers added are optional, because a
// window may meet a server an older version of Squeeze started; fields a schema does not name are
// dropped when parsing, so an older client reads a newer server.
import { z } from "zod";
import { BACKENDS, MODEL_ROLES } from "./types";

/** A loaded model's state, as each API's model entry carries it under `squeeze`. */
export const modelStatusSchema = z.object({
  loaded: z.literal(true),
  /** What it computes: text, embeddings, or reranking scores. */
  task: z.enum(["generate", "embed", "rank"]).optional(),
  roles: z.array(z.enum(MODEL_ROLES)),
  pinned: z.boolean(),
  backend: z.enum(BACKENDS),
  device: z.enum(["npu", "gpu", "cpu"]),
  context_size: z.number(),
  /** Generations it runs at once. */
  parallel: z.number(),
  /** Sequences kept for fill-in-the-middle (one per editor window). */
  completion_sequences: z.number(),
  requests_running: z.number(),
  requests_waiting: z.number(),
  /** "starting": a worker is being given the model; "stopped": it died or stopped answering, and the next request starts it again. */
  engine: z.enum(["ready", "starting", "stopped"]),
  last_failure: z.object({ at: z.string(), reason: z.string() }).nullable(),
  expires_at: z.string().nullable(),
});
export type ModelStatus = z.infer<typeof modelStatusSchema>;

/** GET /v1/models: the loaded models, with the context a request may use and the model's longest. */
export const loadedModelListSchema = z.object({
  data: z.array(z.object({ id: z.string(), context_length: z.number().optional(), max_context_length: z.number().optional(), squeeze: modelStatusSchema })),
});
export type LoadedModelList = z.infer<typeof loadedModelListSchema>;

/** GET /health, and Squeeze's fields of /api/v1/health: how another Squeeze process recognises a server. */
export const healthFieldsSchema = z.object({
  /** "degraded" while a model's engine is down. */
  status: z.enum(["ok", "degraded"]),
  server: z.literal("Squeeze"),
  version: z.string(),
  /** The chat model, and its facts. */
  model: z.string().nullable(),
  backend: z.enum(BACKENDS).nullable(),
  context_size: z.number().nullable(),
  gpu: z.union([z.string(), z.literal(false)]).nullable(),
  models: z.array(z.string()).optional(),
  /** Each role's model; embedding and rerank only when one is loaded for them. */
  roles: z.object({ chat: z.string().nullable(), completion: z.string().nullable(), embedding: z.string().optional(), rerank: z.string().optional() }).optional(),
  pid: z.number().optional(),
  /** Still loading the models it starts with: no model yet does not mean none will come. */
  starting: z.boolean().optional(),
  /** What it could not load, in words for the user (a model to download, say). */
  notice: z.string().nullable().optional(),
  /** Models loaded since it started. */
  loads: z.number().optional(),
  /** Seconds it stays once no editor window is attached; null: started by hand, it stays. */
  keep_alive_s: z.number().nullable().optional(),
  /** Editor windows attached. */
  windows: z.number().optional(),
});
export type HealthFields = z.infer<typeof healthFieldsSchema>;

/** GET /api/v1/health: Squeeze's fields and Lemonade's. */
export const healthSchema = healthFieldsSchema.extend({
  model_loaded: z.string().nullable(),
  all_models_loaded: z.array(z.object({ model_name: z.string(), squeeze: modelStatusSchema.optional() })).optional(),
  max_models: z.object({ llm: z.number() }).optional(),
});
export type Health = z.infer<typeof healthSchema>;

/** GET /api/v1/stats: the engines' counters, requests running now, and the last request's timings. */
export const statsSchema = z.object({
  queued: z.number(),
  running: z.number(),
  completed: z.number(),
  cancelled: z.number(),
  failed: z.number(),
  generatedTokens: z.number(),
  workerStarts: z.number(),
  requests_in_flight: z.number(),
  time_to_first_token: z.number().nullable(),
  tokens_per_second: z.number().nullable(),
  input_tokens: z.number().nullable(),
  output_tokens: z.number().nullable(),
  prompt_tokens: z.number().nullable(),
  cache_tokens: z.number().nullable(),
});
export type Stats = z.infer<typeof statsSchema>;

/** A model on disk or in the catalog, as /api/v1/models lists it (Lemonade's model object). */
export const storeModelSchema = z.object({
  id: z.string(),
  object: z.literal("model"),
  created: z.number(),
  owned_by: z.string(),
  checkpoint: z.string(),
  recipe: z.string(),
  /** Gigabytes. */
  size: z.number(),
  downloaded: z.boolean(),
  suggested: z.boolean(),
  labels: z.array(z.string()),
  max_context_window: z.number().optional(),
});
export type StoreModel = z.infer<typeof storeModelSchema>;

export const storeModelListSchema = z.object({ object: z.literal("list"), data: z.array(storeModelSchema) });
export type StoreModelList = z.infer<typeof storeModelListSchema>;

/** A `progress` event of POST /api/v1/pull with `stream: true`; `complete` adds the model's id. */
export const pullProgressEventSchema = z.object({
  file: z.string(),
  file_index: z.number(),
  total_files: z.number(),
  bytes_downloaded: z.number(),
  bytes_total: z.number(),
  percent: z.number(),
  bytes_per_second: z.number(),
  eta_seconds: z.number().nullable(),
  phase: z.string(),
  message: z.string().optional(),
});
export type PullProgressEvent = z.infer<typeof pullProgressEventSchema>;

export const pullCompleteSchema = pullProgressEventSchema.extend({ model: z.string() });
export type PullComplete = z.infer<typeof pullCompleteSchema>;

/** The first event of GET /api/v1/attach: who the server is. */
export const serverIdentitySchema = z.object({
  pid: z.number(),
  version: z.string(),
  /** The arguments `squeeze serve` was started with, so that a window can tell whether its settings apply. */
  argv: z.array(z.string()),
  /** Where its output begins in its log file, when its output goes to a file (as when an editor starts it). */
  log_offset: z.number().nullable(),
  /** Seconds it stays without a window; null: it was started by hand and stays. */
  keep_alive_s: z.number().nullable(),
});
export type ServerIdentity = z.infer<typeof serverIdentitySchema>;

/** The answer of Lemonade's management actions (load, unload, pin, delete, a pull without streaming). */
export const actionResultSchema = z.object({ status: z.literal("success"), message: z.string() });
export type ActionResult = z.infer<typeof actionResultSchema>;

/** OpenAI's error body, which every Squeeze route but Ollama's answers with. */
export const errorBodySchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string().optional(),
    param: z.string().nullable().optional(),
    code: z.string().nullable().optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;
