// What `serve` should try to load, best first: the model the user named (a file or folder, or an
// id the store resolves), or else this machine's ranked choices that are downloaded. Ids are read
// by the store alone, so `serve --model` accepts exactly what `pull` and `rm` accept.
import { RECIPE_BACKEND } from "../catalog/catalogSchema";
import { ModelSourceError } from "../catalog/userCatalog";
import { type BackendName, MODEL_ROLES } from "../protocol/types";
import { FLM_PREFIX, locateModel } from "../models/modelLocation";
import { installedFlmTags } from "../store/flmModels";
import type { ModelRef, ModelStore } from "../store/modelStore";
import { StoreError } from "../store/storeError";
import { pathExists } from "../util/pathExists";
import { fetchHint, localChoices } from "./localChoices";
import { machineSelection } from "./machineSelection";
import type { Choice, Preferences, SelectionRole } from "./types";

export interface Candidate {
  /** Default public id. */
  id: string;
  path: string;
  backend: BackendName;
  /** Whether the choice runs on a GPU (false: keep llama.cpp and onnxruntime on the CPU). */
  gpu: boolean;
  /** Why it was chosen, for the log. */
  why?: string;
}

/** A model that cannot be served as asked, with what to do about it. */
export class ModelNotAvailableError extends Error {
  override name = "ModelNotAvailableError";
}

export interface CandidateRequest {
  model?: string;
  role: SelectionRole;
  /** What is on disk, and the one reading of model ids. */
  store: ModelStore;
  /** The user's device policy and battery preference; device "cpu" keeps every model on the CPU. */
  preferences?: Partial<Preferences>;
  /** Never read `model` as a path on disk: for names that come from API clients. */
  idsOnly?: boolean;
}

export async function modelCandidates(request: CandidateRequest): Promise<Candidate[]> {
  const given = request.model;
  if (given === undefined) return chosen(request, () => true, "for this machine");
  if (given.startsWith(FLM_PREFIX) || (!request.idsOnly && (await pathExists(given)))) {
    const location = await locateModel(given);
    return [{ id: location.name, path: location.path, backend: location.backend, gpu: true }];
  }
  const ref = await request.store.resolve(given).catch((err: unknown) => {
    if (!(err instanceof StoreError)) throw err;
    if (err.code === "invalid_name") throw new ModelSourceError(err.message);
    const file = request.idsOnly ? "" : "a model file or folder, ";
    throw new ModelNotAvailableError(`"${given}" is not ${file}a catalog model ("squeeze list --all" shows them), a user model, or hf.co/owner/repo:QUANT`);
  });
  if (ref.kind === "catalog-model") return chosen(request, (c) => c.modelId === ref.model.id, `of ${ref.model.id}`);
  return [await downloaded(request, ref)];
}

/** The one model `ref` names, from disk. */
async function downloaded(request: CandidateRequest, ref: Exclude<ModelRef, { kind: "catalog-model" }>): Promise<Candidate> {
  const [stored] = await request.store.installed(ref);
  if (ref.kind === "catalog") {
    if (!stored) throw new ModelNotAvailableError(`${ref.id} is not downloaded yet: ${fetchHint(ref)}`);
    // Served under the model's id: clients name the model, not the file it came from.
    return { id: ref.model.id, path: stored.path, backend: RECIPE_BACKEND[ref.variant.recipe], gpu: request.preferences?.device !== "cpu" };
  }
  if (!stored) {
    const source = ref.kind === "user" ? ref.user.source : ref.id;
    const gone = ref.kind === "user" && !source.startsWith("hf.co/");
    throw new ModelNotAvailableError(gone ? `${ref.id}'s files are gone from ${source}` : `${ref.id} is not downloaded yet: squeeze pull ${ref.id}`);
  }
  return { id: ref.id, path: stored.path, backend: stored.backend, gpu: true };
}

async function chosen(request: CandidateRequest, wanted: (c: Choice) => boolean, what: string): Promise<Candidate[]> {
  const { profile, selection } = await machineSelection(request.preferences);
  // A catalog id may name a model of either role; the machine's own pick follows the role asked.
  const ranked = (request.model ? MODEL_ROLES.flatMap((role) => selection[role]) : selection[request.role]).filter(wanted);
  const flm = profile.runtimes.npu.find((r) => r.runtime === "flm");
  const flmTags = flm && ranked.some((c) => c.recipe === "flm") ? await installedFlmTags(flm.path) : new Set<string>();
  const local = await localChoices(ranked, request.store.cacheDir, flmTags);
  if (local.length > 0) {
    return local.map(({ choice, path }) => ({
      id: choice.modelId,
      path,
      backend: choice.backend,
      gpu: choice.device.kind === "gpu",
      why: `${choice.role} choice on ${choice.device.kind.toUpperCase()} ${choice.device.name}`,
    }));
  }
  const best = ranked[0];
  if (!best) throw new ModelNotAvailableError(`no catalog model ${what} runs on this machine (see "squeeze probe")`);
  throw new ModelNotAvailableError(
    `no model ${what} is downloaded yet (looked in ${request.store.cacheDir}). The best ${best.role} choice here is ` +
      `${best.modelId} [${best.variant.id}] on the ${best.device.kind.toUpperCase()}: ${best.reasons[0]}. ` +
      `Download it with: ${fetchHint(best)}`,
  );
}
