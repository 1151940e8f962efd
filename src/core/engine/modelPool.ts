// The models loaded together: one engine (its own worker thread) per model, as Ollama and
// Lemonade keep several. Loading one more unloads the least recently used idle model when a
// count or a memory budget would be exceeded; pinned models are never unloaded for another, and
// a model's keep-alive unloads it once it has been idle that long. A load that fails takes only
// its own engine down.
import { modelDiskFacts } from "../models/modelDiskFacts";
import type { Engine, EngineStats } from "../protocol/engine";
import { EngineError } from "../protocol/errors";
import { TimedEngine, RequestTimer } from "./timedEngine";
import { isNpuBackend, type LoadSpec, type ModelInfo, type ModelRole, ROLE_TASK } from "../protocol/types";

export type { ModelRole } from "../protocol/types";

export interface ModelPoolOptions {
  /** Makes the engine for one more model (an EngineHost with its worker). */
  createEngine(): Engine;
  /** Models loaded at once; default 3 (Ollama's default per CPU). */
  maxLoaded?: number;
  /** Bytes the loaded models' files may take together (from the probe); default unbounded. */
  memoryBudgetBytes?: number;
  log?(message: string): void;
}

export interface LoadOptions {
  /** Never unloaded to make room for another model (Lemonade's pin). */
  pinned?: boolean;
  /** The roles it serves by default, for clients that name a role rather than a model. */
  roles?: ModelRole[];
}

/** A model in the pool and the engine that runs it. */
export interface LoadedModel {
  readonly info: ModelInfo;
  readonly engine: TimedEngine;
  readonly roles: ReadonlySet<ModelRole>;
  readonly pinned: boolean;
  /** When keep-alive unloads it (ms since the epoch); undefined: kept until evicted. */
  readonly expiresAt: number | undefined;
}

interface Entry {
  spec: LoadSpec;
  info: ModelInfo;
  engine: TimedEngine;
  roles: Set<ModelRole>;
  pinned: boolean;
  /** Bytes its files take on disk, what the memory budget counts. */
  sizeBytes: number;
  /** When it was last asked for (ms since the epoch). */
  lastUsed: number;
  expiresAt: number | undefined;
  timer: NodeJS.Timeout | undefined;
}

export const DEFAULT_MAX_LOADED = 3;
/** How often an expired model that is still busy is looked at again. */
const BUSY_RECHECK_MS = 1000;

export class ModelPool {
  private readonly entries = new Map<string, Entry>();
  /** Loads under way by id: requests for the same model share one. */
  private readonly loading = new Map<string, Promise<LoadedModel>>();
  /** The last request of any model, for Lemonade's /stats. */
  readonly timer = new RequestTimer();
  private readonly retired: EngineStats = { queued: 0, running: 0, completed: 0, cancelled: 0, failed: 0, generatedTokens: 0, workerStarts: 0 };
  readonly maxLoaded: number;
  /** Models loaded since the pool was made (how clients tell that a model was loaded again). */
  loadsDone = 0;

  constructor(private readonly options: ModelPoolOptions) {
    this.maxLoaded = options.maxLoaded ?? DEFAULT_MAX_LOADED;
  }

  /** Loaded models, in the order they were loaded. */
  list(): LoadedModel[] {
    return [...this.entries.values()].map(view);
  }

  /** The loaded model `id`, marked as used now; undefined when it is not loaded. */
  get(id: string): LoadedModel | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    entry.lastUsed = Date.now();
    return view(entry);
  }

  /** The model serving `role`: the one given that role, else the most recently used that computes what the role needs. Not marked as used. */
  forRole(role: ModelRole): LoadedModel | undefined {
    const entries = [...this.entries.values()].filter((e) => e.info.task === ROLE_TASK[role]);
    const entry = entries.find((e) => e.roles.has(role)) ?? entries.sort((a, b) => b.lastUsed - a.lastUsed)[0];
    return entry && view(entry);
  }

  /** Every engine's counters added up, those of models unloaded since included. */
  stats(): EngineStats {
    const total = { ...this.retired };
    for (const { engine } of this.entries.values()) addStats(total, engine.stats());
    return total;
  }

  /**
   * Loads `spec` under `spec.id` beside the others, unloading least recently used idle models
   * first as the count and the budget require. Loaded already: its roles and pin are updated.
   */
  load(spec: LoadSpec, options: LoadOptions = {}): Promise<LoadedModel> {
    const loaded = this.entries.get(spec.id);
    if (loaded && sameLoad(loaded, spec)) {
      this.claim(loaded, options);
      return Promise.resolve(view(loaded));
    }
    const pending = this.loading.get(spec.id);
    if (pending) return pending.then((model) => (this.claim(this.entries.get(model.info.id)!, options), this.get(model.info.id)!));
    const load = this.loadNew(spec, options).finally(() => this.loading.delete(spec.id));
    this.loading.set(spec.id, load);
    return load;
  }

  /** Unloads `id`, waiting for nothing: its running requests end as cancelled. False when it was not loaded. */
  async unload(id: string): Promise<boolean> {
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.entries.delete(id);
    clearTimeout(entry.timer);
    // Its requests stay counted; the queue it had is gone with it.
    addStats(this.retired, { ...entry.engine.stats(), queued: 0, running: 0 });
    this.options.log?.(`unloaded ${id}`);
    await entry.engine.dispose();
    return true;
  }

  async unloadAll(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((id) => this.unload(id)));
  }

  /** Gives `id` these roles (taking them from other models); false when it is not loaded. */
  setRoles(id: string, roles: ModelRole[]): boolean {
    const entry = this.entries.get(id);
    if (entry) this.claim(entry, { roles });
    return entry !== undefined;
  }

  setPinned(id: string, pinned: boolean): boolean {
    const entry = this.entries.get(id);
    if (entry) entry.pinned = pinned;
    return entry !== undefined;
  }

  /**
   * Ollama's keep_alive: unload `id` once it has been idle `ms` (counted from now; 0 as soon as
   * it is idle), or keep it (negative). A model still generating when its time comes stays until idle.
   */
  keepAlive(id: string, ms: number): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.expiresAt = ms < 0 ? undefined : Date.now() + ms;
    if (ms >= 0) this.scheduleExpiry(entry, ms);
  }

  async dispose(): Promise<void> {
    await Promise.allSettled([...this.loading.values()]);
    await this.unloadAll();
  }

  private claim(entry: Entry, { pinned, roles }: LoadOptions): void {
    if (pinned !== undefined) entry.pinned = pinned;
    // A role belongs to one model: the newest claim takes it.
    for (const role of roles ?? []) {
      for (const other of this.entries.values()) other.roles.delete(role);
      entry.roles.add(role);
    }
    entry.lastUsed = Date.now();
  }

  private async loadNew(spec: LoadSpec, options: LoadOptions): Promise<LoadedModel> {
    const replaced = this.entries.get(spec.id);
    if (replaced) await this.unload(spec.id);
    const sizeBytes = await modelBytes(spec);
    await this.makeRoom(spec, sizeBytes);
    const engine = new TimedEngine(this.options.createEngine(), this.timer);
    let info: ModelInfo;
    try {
      info = await engine.load(spec);
    } catch (err) {
      // Only this model's worker goes: the others keep serving.
      await engine.dispose().catch(() => undefined);
      throw err;
    }
    const entry: Entry = { spec, info, engine, roles: new Set(), pinned: false, sizeBytes, lastUsed: Date.now(), expiresAt: undefined, timer: undefined };
    this.entries.set(spec.id, entry);
    this.loadsDone++;
    this.claim(entry, { ...options, roles: options.roles ?? [...(replaced?.roles ?? [])] });
    return view(entry);
  }

  /** Unloads idle unpinned models, least recently used first, until `spec` fits. */
  private async makeRoom(spec: LoadSpec, sizeBytes: number): Promise<void> {
    const budget = this.options.memoryBudgetBytes ?? Infinity;
    const npu = isNpuBackend(spec.backend);
    const used = () => [...this.entries.values()].reduce((sum, e) => sum + e.sizeBytes, 0);
    // The NPU runs one model at a time.
    const mustGo = (e: Entry) => npu && isNpuBackend(e.info.backend);
    const tooMany = () => this.entries.size + this.loading.size > this.maxLoaded || used() + sizeBytes > budget || [...this.entries.values()].some(mustGo);
    while (tooMany()) {
      const candidates = [...this.entries.values()].filter((e) => !e.pinned && idle(e)).sort((a, b) => a.lastUsed - b.lastUsed);
      const victim = candidates.find(mustGo) ?? candidates[0];
      if (!victim) {
        if (this.entries.size === 0 && sizeBytes > budget) {
          throw new EngineError("invalid_model", `${spec.id} needs about ${gib(sizeBytes)} GiB, more than the ${gib(budget)} GiB this machine has for models`);
        }
        throw new EngineError("queue_full", `${spec.id} does not fit beside the loaded models, and each of them is busy or pinned; try again when one is idle, or unload one`);
      }
      this.options.log?.(`unloading ${victim.info.id}, the least recently used model, to make room for ${spec.id}`);
      await this.unload(victim.info.id);
    }
  }

  private scheduleExpiry(entry: Entry, ms: number): void {
    entry.timer = setTimeout(() => {
      if (this.entries.get(entry.info.id) !== entry) return;
      if (!idle(entry)) return this.scheduleExpiry(entry, BUSY_RECHECK_MS);
      this.options.log?.(`${entry.info.id} was idle for its keep-alive`);
      void this.unload(entry.info.id);
    }, ms);
    // A pending unload must not keep the CLI's process alive.
    entry.timer.unref();
  }
}

/** Whether `spec` asks for what `entry` already runs (an unset context size or parallelism takes any). */
function sameLoad({ spec: loaded, info }: Entry, spec: LoadSpec): boolean {
  return (
    spec.path === loaded.path &&
    spec.backend === loaded.backend &&
    (spec.gpu ?? "auto") === (loaded.gpu ?? "auto") &&
    (spec.contextSize === undefined || spec.contextSize === info.contextSize) &&
    (spec.parallel === undefined || spec.parallel === info.slots.generation)
  );
}

function idle(entry: Entry): boolean {
  const { running, queued } = entry.engine.stats();
  return running === 0 && queued === 0 && entry.engine.inFlight() === 0;
}

function view({ info, engine, roles, pinned, expiresAt }: Entry): LoadedModel {
  return { info, engine, roles: new Set(roles), pinned, expiresAt };
}

function addStats(total: EngineStats, more: EngineStats): void {
  for (const key of Object.keys(total) as (keyof EngineStats)[]) total[key] += more[key];
}

const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(1);

/** The model's files on disk; a runtime's own tag (FastFlowLM's) takes nothing here. */
function modelBytes(spec: LoadSpec): Promise<number> {
  if (spec.backend === "flm") return Promise.resolve(0);
  return modelDiskFacts(spec.path).then((facts) => facts.size, () => 0);
}
