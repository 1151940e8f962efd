// The model a request names, loaded on demand: a loaded one, or a downloaded model by its id
// (a catalog id, hf.co/owner/repo:QUANT, a user model id), which then loads beside the others
// (the pool unloads the least recently used one when it must); one that is not downloaded gets a
// 404 saying how to pull it, as Ollama answers. Names from clients are ids only: a request never
// opens a file it names.
import type { LoadedModel, LoadOptions, ModelPool, ModelRole } from "../engine/modelPool";
import { EngineError } from "../protocol/errors";
import { ModelSourceError } from "../catalog/userCatalog";
import { loadFirst, type LoadFirstOptions } from "../selection/loadFirst";
import { type Candidate, modelCandidates, ModelNotAvailableError } from "../selection/modelCandidates";
import type { Preferences } from "../selection/types";
import type { ModelStore } from "../store/modelStore";
import { ApiError, toApiError } from "./errors";

export interface ModelProviderOptions {
  /** What is on disk and how ids read; without it only loaded models are served. */
  store?: ModelStore;
  /** What a model id loads, best first; default: what `serve --model <id>` would try. */
  candidates?: (id: string) => Promise<Candidate[]>;
  /** How on-demand loads load (`serve`'s context size, parallel sequences). */
  load?: Omit<LoadFirstOptions, "alias" | "log" | "device">;
  /** The device policy and battery preference on-demand loads follow, as the first loads do. */
  preferences?: Partial<Preferences>;
  log?: (message: string) => void;
}

export class ModelProvider {
  private readonly candidates: (id: string) => Promise<Candidate[]>;

  constructor(
    readonly pool: ModelPool,
    private readonly options: ModelProviderOptions = {},
  ) {
    const { store } = options;
    this.candidates =
      options.candidates ??
      (store
        ? (id) => modelCandidates({ model: id, role: "chat", idsOnly: true, store, preferences: options.preferences })
        : (id) => Promise.reject(new ModelNotAvailableError(`"${id}" is not loaded`)));
  }

  /** The model `id` names, loading it if it is downloaded but not loaded. */
  async require(id: string, param = "model"): Promise<LoadedModel> {
    return this.pool.get(id) ?? this.load(id, undefined, param);
  }

  /** The model serving `role`, for requests that name none (llama.cpp's /tokenize and /infill). */
  loadedFor(role: ModelRole): LoadedModel {
    const model = this.pool.forRole(role);
    if (!model) throw toApiError(new EngineError("no_model", "no model is loaded"));
    return this.pool.get(model.info.id)!;
  }

  /** Loads `id` (served under that id); a load of it under way already is shared. */
  async load(id: string, contextSize?: number, param = "model", options: LoadOptions = {}): Promise<LoadedModel> {
    const found = await this.candidates(id).catch((err: unknown) => {
      throw candidateError(err, param, this.pool);
    });
    const log = this.options.log ?? ((message: string) => console.error(`[squeeze] ${message}`));
    const info = await loadFirst((spec) => this.pool.load(spec, options).then((m) => m.info), found, {
      ...this.options.load,
      device: this.options.preferences?.device ?? "auto",
      ...(contextSize && { contextSize }),
      alias: id,
      log,
    });
    const model = this.pool.get(info.id);
    // Unloaded again already (a client unloaded it at once): as if it had never loaded.
    if (!model) throw toApiError(new EngineError("no_model", `${id} was unloaded while it loaded`));
    return model;
  }
}

function candidateError(err: unknown, param: string, pool: ModelPool): unknown {
  if (err instanceof ModelSourceError) return new ApiError(400, err.message, { param, code: "invalid_name" });
  if (err instanceof ModelNotAvailableError) {
    const ids = pool.list().map((m) => `'${m.info.id}'`);
    const served = ids.length > 0 ? ` Loaded: ${ids.join(", ")}.` : "";
    return new ApiError(404, `${err.message}.${served}`, { param, code: "model_not_found" });
  }
  return err;
}
