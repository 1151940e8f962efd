// The models a server starts with, one per role: the chat model and the completion model, each
// the one the user named or the machine's pick for that role on the device selection chose for it,
// and the embedding and reranking models the user named. When two roles come to the same model it
// is loaded once and serves both.
import type { LoadedModel, ModelPool, ModelRole } from "../engine/modelPool";
import { MODEL_ROLES } from "../protocol/types";
import { loadFirst } from "../selection/loadFirst";
import { modelCandidates, ModelNotAvailableError } from "../selection/modelCandidates";
import type { Preferences } from "../selection/types";
import type { ModelStore } from "../store/modelStore";

export interface RoleModelsRequest {
  /** The model each role serves (file, folder or id); a role left out gets the machine's pick. */
  models: Partial<Record<ModelRole, string>>;
  /** The roles to load; a role not loaded is served by the other's model. */
  roles: ModelRole[];
  /** The id clients use for the chat model, when the user named it. */
  alias?: string;
  contextSize?: number;
  parallel?: number;
  /** The device policy (device "cpu": everything on the CPU) and the battery preference. */
  preferences: Preferences;
  /** What is on disk, and how model ids read. */
  store: ModelStore;
  /** A named model that cannot load is reported in `failed` instead of failing the whole start. */
  keepGoing?: boolean;
  log(message: string): void;
}

export interface RoleModels {
  loaded: Partial<Record<ModelRole, LoadedModel>>;
  /** Nothing downloaded for a role the user left to the machine: what to pull. */
  missing?: ModelNotAvailableError;
  /** With keepGoing: the roles whose model could not load, and why. */
  failed: Partial<Record<ModelRole, Error>>;
}

/**
 * Loads each role's model into `pool`, chat first. A role whose model cannot load fails the
 * whole start only when the user named that model (and not with keepGoing); a pick that is not downloaded is reported in
 * `missing`, and the other role's model serves it.
 */
export async function loadRoleModels(pool: ModelPool, request: RoleModelsRequest): Promise<RoleModels> {
  const result: RoleModels = { loaded: {}, failed: {} };
  const hadRoles = pool.list().filter((m) => m.roles.size > 0);
  for (const role of MODEL_ROLES.filter((r) => request.roles.includes(r))) {
    const named = request.models[role];
    const loaded = await loadRole(pool, request, role, named).catch((err: Error) => {
      if (!request.keepGoing) throw err;
      request.log(`${role}: ${err.message}`);
      result.failed[role] = err;
      return undefined;
    });
    if (loaded instanceof ModelNotAvailableError) result.missing ??= loaded;
    else if (loaded) result.loaded[role] = loaded;
  }
  // Models replaced in their roles (new settings, another power source) free their memory.
  for (const old of hadRoles) {
    const now = pool.list().find((m) => m.info.id === old.info.id);
    if (now && now.roles.size === 0 && !now.pinned) await pool.unload(old.info.id);
  }
  return result;
}

/** One role's model, loaded (or found loaded); a ModelNotAvailableError when the machine's pick is not downloaded. */
async function loadRole(pool: ModelPool, request: RoleModelsRequest, role: ModelRole, named: string | undefined): Promise<LoadedModel | ModelNotAvailableError | undefined> {
  const candidates = await modelCandidates({
    model: named,
    role,
    preferences: request.preferences,
    store: request.store,
  }).catch((err: unknown) => {
    if (err instanceof ModelNotAvailableError && named === undefined) return err;
    throw err;
  });
  if (candidates instanceof ModelNotAvailableError) return candidates;
  const [best] = candidates;
  const same = pool.list().find((m) => m.info.path === best.path && m.info.backend === best.backend && (best.gpu || request.preferences.device === "cpu" || m.info.gpu === false));
  if (same) {
    // Loaded already (for the other role, or before): it serves this role now.
    pool.setRoles(same.info.id, [role]);
    request.log(`${role}: ${same.info.id}, loaded already, serves it`);
    return same;
  }
  const info = await loadFirst((spec) => pool.load(spec, { roles: [role] }).then((m) => m.info), candidates, {
    alias: role === "chat" ? request.alias : undefined,
    contextSize: request.contextSize,
    parallel: request.parallel,
    device: request.preferences.device,
    log: (message) => request.log(`${role}: ${message}`),
  });
  return pool.get(info.id);
}
