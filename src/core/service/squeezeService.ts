// Squeeze as it runs on a machine, put together in one place from one settings object: the model
// pool (an engine per loaded model, within the machine's memory), the store, the HTTP server, the
// models each role starts with, and the power watch that follows the battery. `squeeze serve`
// builds the settings from its arguments; an editor runs it through that command, in a process
// of its own.
import { configureThreadPool } from "../backends/llamacpp/llamaRuntime";
import { EngineHost } from "../engine/engineHost";
import { ModelPool, type ModelRole } from "../engine/modelPool";
import { probeHardware } from "../hardware/probe";
import { memoryBudget } from "../selection/memoryBudget";
import type { Preferences } from "../selection/types";
import { watchPower } from "../server/powerWatch";
import { loadRoleModels, type RoleModelsRequest } from "../server/roleModels";
import { type RunningServer, startServer } from "../server/server";
import { ServerLife } from "../server/serverLife";
import { userSecret } from "../trust/userSecret";
import { VERSION } from "../util/version";
import { openModelStore } from "./openModelStore";

export interface ServiceSettings {
  /** The model each role serves (file, folder or id); a role left out gets the machine's pick. */
  models: Partial<Record<ModelRole, string>>;
  /** The roles to load at start; a role not loaded is served by the other's model. */
  roles: ModelRole[];
  /** The id clients use for the chat model, when the user named it. */
  alias?: string;
  /** Where models may run, and whether the machine's picks follow the battery. */
  preferences: Preferences;
  host?: string;
  port: number;
  apiKey?: string;
  allowedOrigins?: string[];
  allowedHosts?: string[];
  contextSize?: number;
  parallel?: number;
  /** Requests that may wait per model. */
  maxQueue?: number;
  maxLoaded?: number;
  /** The Hugging Face cache; default from the environment. */
  modelsFolder?: string;
  /** Stop once no editor window has been attached this long (how editors start it); undefined: stay. */
  keepAliveS?: number;
  /** How the process was started, told to attached windows. */
  launch: { argv: string[]; logOffset: number | null };
  log(message: string): void;
}

export class SqueezeService {
  private server: RunningServer | undefined;
  private stopped = false;
  private stopWatching: (() => void) | undefined;

  private constructor(
    private readonly settings: ServiceSettings,
    private readonly pool: ModelPool,
    private readonly life: ServerLife,
  ) {}

  /** The parts, not yet serving; `onUnused` is called when the keep-alive has passed with no window. */
  static async create(settings: ServiceSettings, onUnused: () => void): Promise<SqueezeService> {
    configureThreadPool(); // before anything here reads a file
    const pool = new ModelPool({
      createEngine: () => new EngineHost({ maxQueue: settings.maxQueue }),
      maxLoaded: settings.maxLoaded,
      memoryBudgetBytes: memoryBudget(await probeHardware()),
      log: settings.log,
    });
    const keepAliveMs = settings.keepAliveS === undefined ? undefined : settings.keepAliveS * 1000;
    return new SqueezeService(settings, pool, new ServerLife({ keepAliveMs, onUnused }));
  }

  /**
   * Listens (first: a taken port is reported at once, before a slow model load), then loads each
   * role's model. A server an editor started has no terminal to show a failed load in: it serves
   * what loaded and says what did not; one started by hand fails on a model the user named.
   */
  async start(): Promise<void> {
    const { settings, pool, life } = this;
    const { log } = settings;
    try {
      const store = await openModelStore(settings.modelsFolder ? { cacheDir: settings.modelsFolder } : {});
      const load = { contextSize: settings.contextSize, parallel: settings.parallel };
      this.server = await startServer(pool, {
        host: settings.host,
        port: settings.port,
        apiKey: settings.apiKey,
        userSecret: await userSecret(),
        allowedOrigins: settings.allowedOrigins,
        allowedHosts: settings.allowedHosts,
        version: VERSION,
        store,
        load,
        preferences: settings.preferences,
        life,
        launch: settings.launch,
      });
      if (this.stopped) return;
      const request: RoleModelsRequest = {
        models: settings.models,
        roles: settings.roles,
        alias: settings.alias,
        ...load,
        preferences: settings.preferences,
        store,
        keepGoing: settings.keepAliveS !== undefined,
        log,
      };
      const { loaded, missing, failed } = await loadRoleModels(pool, request);
      life.starting = false;
      const failures = Object.entries(failed).map(([r, err]) => `the ${r} model did not load: ${err.message}`);
      life.notice = [...failures, ...(missing ? [missing.message] : [])].join("; ") || undefined;
      if (this.stopped) return;
      this.followPower(request);
      this.report(loaded, missing?.message);
    } catch (err) {
      // Stopped during startup: stop() is already shutting down; this is not an error.
      if (this.stopped) return;
      await this.stop();
      throw err;
    }
  }

  /** Tells attached windows why, stops listening and unloads every model. Idempotent. */
  async stop(reason?: string): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.stopWatching?.();
    if (reason) await this.life.stopping(reason);
    this.life.dispose();
    await this.server?.close();
    await this.pool.dispose();
  }

  /** The machine's own picks follow the power source. */
  private followPower(request: RoleModelsRequest): void {
    const { settings } = this;
    const picked = settings.roles.some((r) => !(r in settings.models));
    if (!picked || settings.preferences.batteryPolicy !== "auto") return;
    this.stopWatching = watchPower((onBattery) => {
      settings.log(`on ${onBattery ? "battery" : "AC power"} now: choosing the models for it`);
      void loadRoleModels(this.pool, request).catch((err: Error) => settings.log(`the models for the new power source did not load: ${err.message}`));
    });
  }

  private report(loaded: Awaited<ReturnType<typeof loadRoleModels>>["loaded"], missing: string | undefined): void {
    const { log } = this.settings;
    const url = this.server!.url;
    const served = loaded.chat ?? loaded.completion;
    if (!served) {
      log(this.life.notice ?? "there is no model to load");
      log(`Squeeze ${VERSION} serving no model yet at ${url}/v1: a request names a downloaded model to load it (Ctrl+C to stop)`);
      return;
    }
    if (missing) log(missing);
    for (const model of new Set([loaded.chat, loaded.completion])) {
      if (model?.info.chatTemplate === "chatml-default") log(`${model.info.id} has no chat template: chats use ChatML`);
    }
    const other = loaded.completion?.info.id;
    const completions = other && other !== served.info.id ? ` and "${other}" for completions` : "";
    for (const role of ["embedding", "rerank"] as const) if (loaded[role]) log(`${role}: ${loaded[role].info.id}`);
    log(`Squeeze ${VERSION} serving "${served.info.id}"${completions} at ${url}/v1 (Ctrl+C to stop)`);
  }
}
