// The model a request names, loaded on demand: the loaded one, or a downloaded model by its id
// (a catalog id, hf.co/owner/repo:QUANT, a user model id), which then replaces it; one that is
// not downloaded gets a 404 saying how to pull it, as Ollama answers. Names from clients are ids
// only: a request never opens a file it names.
import type { Engine } from "../engine/engine";
import type { ModelInfo } from "../engine/types";
import { ModelSourceError } from "../catalog/userCatalog";
import { loadFirst, type LoadFirstOptions } from "../selection/loadFirst";
import { type Candidate, modelCandidates, ModelNotAvailableError } from "../selection/modelCandidates";
import type { ModelStore } from "../store/modelStore";
import { ApiError } from "./errors";

export interface ModelProviderOptions {
  /** Where downloaded models are (the Hugging Face cache, models.json); default from the environment. */
  store?: ModelStore;
  /** What a model id loads, best first; default: what `serve --model <id>` would try. */
  candidates?: (id: string) => Promise<Candidate[]>;
  /** How on-demand loads load (`serve`'s context size, parallel sequences, CPU only). */
  load?: Omit<LoadFirstOptions, "alias" | "log">;
  log?: (message: string) => void;
}

export class ModelProvider {
  private readonly candidates: (id: string) => Promise<Candidate[]>;
  /** Loads under way by model id: requests for the same model share one. */
  private readonly loading = new Map<string, Promise<ModelInfo>>();

  constructor(
    readonly engine: Engine,
    private readonly options: ModelProviderOptions = {},
  ) {
    const { store } = options;
    this.candidates =
      options.candidates ??
      ((id) => modelCandidates({ model: id, role: "chat", cpuOnly: false, idsOnly: true, cacheDir: store?.cacheDir, userCatalogFile: store?.users.file }));
  }

  /** The model `id` names, loading it if it is downloaded but not loaded. */
  async require(id: string, param = "model"): Promise<ModelInfo> {
    const loaded = this.engine.model;
    if (loaded?.id === id) return loaded;
    return this.load(id, undefined, param);
  }

  /** Loads `id` (served under that id), unless a load of it is under way already. */
  load(id: string, contextSize?: number, param = "model"): Promise<ModelInfo> {
    const pending = this.loading.get(id);
    if (pending) return pending;
    const load = this.loadNow(id, contextSize, param).finally(() => this.loading.delete(id));
    this.loading.set(id, load);
    return load;
  }

  private async loadNow(id: string, contextSize: number | undefined, param: string): Promise<ModelInfo> {
    const found = await this.candidates(id).catch((err: unknown) => {
      throw candidateError(err, param, this.engine.model);
    });
    const log = this.options.log ?? ((message: string) => console.error(`[squeeze] ${message}`));
    return loadFirst(this.engine, found, { cpu: false, ...this.options.load, ...(contextSize && { contextSize }), alias: id, log });
  }
}

function candidateError(err: unknown, param: string, loaded: ModelInfo | undefined): unknown {
  if (err instanceof ModelSourceError) return new ApiError(400, err.message, { param, code: "invalid_name" });
  if (err instanceof ModelNotAvailableError) {
    const served = loaded ? ` The loaded model is '${loaded.id}'.` : "";
    return new ApiError(404, `${err.message}.${served}`, { param, code: "model_not_found" });
  }
  return err;
}
