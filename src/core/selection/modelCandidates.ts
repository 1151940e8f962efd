// What `serve` should try to load, best first: the model the user named (a file or folder, a
// catalog id, or a user model id), or else this machine's ranked choices that are downloaded.
import path from "node:path";
import { builtinCatalog, findCatalogModel } from "../catalog/catalog";
import { RECIPE_BACKEND } from "../catalog/catalogSchema";
import { UserCatalog, parseModelSource, type UserModel } from "../catalog/userCatalog";
import type { BackendName } from "../protocol/types";
import { FLM_PREFIX, locateModel } from "../models/modelLocation";
import { installedFlmTags } from "../store/flmModels";
import { hubCacheDir, localVariantPath } from "../store/hfCache";
import { localGguf } from "../store/localGguf";
import { configDir } from "../util/configDir";
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
  cpuOnly: boolean;
  /** The user's device and battery preferences for the machine's own pick; cpuOnly forces the CPU. */
  preferences?: Partial<Preferences>;
  /** Never read `model` as a path on disk: for names that come from API clients. */
  idsOnly?: boolean;
  /** Where the Hugging Face cache and the user catalog are; defaults from the environment. */
  cacheDir?: string;
  userCatalogFile?: string;
}

export async function modelCandidates(request: CandidateRequest): Promise<Candidate[]> {
  const cacheDir = request.cacheDir ?? hubCacheDir();
  const given = request.model;
  if (given === undefined) return chosen(request, cacheDir, () => true, "for this machine");
  if (given.startsWith(FLM_PREFIX) || (!request.idsOnly && (await pathExists(given)))) {
    const location = await locateModel(given);
    return [{ id: location.name, path: location.path, backend: location.backend, gpu: true }];
  }
  if (findCatalogModel(builtinCatalog(), given)) {
    return chosen(request, cacheDir, (c) => c.modelId === given, `of ${given}`);
  }
  const [modelId, variantId] = given.split(":");
  const variant = variantId === undefined ? undefined : findCatalogModel(builtinCatalog(), modelId)?.variants.find((v) => v.id === variantId);
  if (variant) {
    const local = await localVariantPath(cacheDir, variant);
    if (!local) throw new ModelNotAvailableError(`${given} is not downloaded yet: squeeze pull ${given}`);
    return [{ id: modelId, path: local, backend: RECIPE_BACKEND[variant.recipe], gpu: !request.cpuOnly }];
  }
  if (/^hf\.co\//.test(given)) return [await hfCandidate(given, given, cacheDir)];
  const users = await new UserCatalog(request.userCatalogFile ?? path.join(configDir(), "models.json")).list();
  const user = users.find((m) => m.id === given);
  if (user) return [await userCandidate(user, cacheDir)];
  const file = request.idsOnly ? "" : "a model file or folder, ";
  throw new ModelNotAvailableError(`"${given}" is not ${file}a catalog model id ("squeeze list --all" lists them), hf.co/owner/repo:QUANT, or a user model id`);
}

async function chosen(request: CandidateRequest, cacheDir: string, wanted: (c: Choice) => boolean, what: string): Promise<Candidate[]> {
  const { profile, selection } = await machineSelection({ ...request.preferences, ...(request.cpuOnly ? { device: "cpu" } : {}) });
  // A catalog id may name a model of either role; the machine's own pick follows the role asked.
  const ranked = (request.model ? [...selection.chat, ...selection.completion] : selection[request.role]).filter(wanted);
  const flm = profile.runtimes.npu.find((r) => r.runtime === "flm");
  const flmTags = flm && ranked.some((c) => c.recipe === "flm") ? await installedFlmTags(flm.path) : new Set<string>();
  const local = await localChoices(ranked, cacheDir, flmTags);
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
    `no model ${what} is downloaded yet (looked in ${cacheDir}). The best ${best.role} choice here is ` +
      `${best.modelId} [${best.variant.id}] on the ${best.device.kind.toUpperCase()}: ${best.reasons[0]}. ` +
      `Download it with: ${fetchHint(best)}`,
  );
}

async function userCandidate(user: UserModel, cacheDir: string): Promise<Candidate> {
  const source = parseModelSource(user.source);
  if (source.kind === "path") return { id: user.id, path: source.path, backend: user.backend, gpu: true };
  return hfCandidate(user.id, user.source, cacheDir);
}

async function hfCandidate(id: string, sourceText: string, cacheDir: string): Promise<Candidate> {
  const source = parseModelSource(sourceText);
  if (source.kind !== "hf") throw new ModelNotAvailableError(`"${sourceText}" is not of the form hf.co/owner/repo:QUANT`);
  const file = await localGguf(cacheDir, source.repo, source.quant);
  if (!file) throw new ModelNotAvailableError(`${id} is not downloaded yet: squeeze pull ${sourceText}`);
  return { id, path: file, backend: "llama.cpp", gpu: true };
}
