// Hosting or joining the machine's one Squeeze server from this window. As the owner, this
// extension host runs the engine (its worker thread) and the HTTP server; as a client it only
// watches the owner, and takes over when the owner's window closes. Moving the port restarts the
// HTTP server only: the model stays loaded in the worker.
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import * as vscode from "vscode";
import { EngineHost } from "../core/engine/engineHost";
import { ModelPool } from "../core/engine/modelPool";
import type { ModelInfo } from "../core/engine/types";
import { probeHardware } from "../core/hardware/probe";
import { memoryBudget } from "../core/selection/memoryBudget";
import { ModelNotAvailableError } from "../core/selection/modelCandidates";
import { loadRoleModels } from "../core/server/roleModels";
import { SharedServer, type SharedServerState } from "../core/server/sharedServer";
import { startServer } from "../core/server/server";
import { openModelStore } from "../core/store/defaultStore";
import { VERSION } from "../core/version";
import { ApiClient } from "./apiClient";
import type { ApiKeyStore } from "./apiKey";
import { baseUrl, type Config } from "./config";

const REJOIN_CHECK_MS = 2000;

/** The model as this window knows it: only the owner loads, so clients see "remote". */
export type ModelState =
  | { kind: "idle" }
  | { kind: "loading"; model: string }
  /** `info` is the chat model's; `completion` the completion model's when another model serves them. */
  | { kind: "loaded"; info: ModelInfo; completion?: ModelInfo }
  /** Nothing to load: no model is configured and none is downloaded. */
  | { kind: "missing"; message: string }
  | { kind: "failed"; message: string };

export class ServerHost implements vscode.Disposable {
  private shared: SharedServer | undefined;
  private pool: ModelPool | undefined;
  private apiKey: string | undefined;
  private modelState: ModelState = { kind: "idle" };
  /** Bumped by each load, so that an older load finishing late does not overwrite a newer one. */
  private loadGeneration = 0;
  private rejoinTimer: NodeJS.Timeout | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  /** This window, to the server: its completions keep a KV sequence of their own. */
  private readonly clientId = `window-${randomUUID()}`;

  /**
   * @param stoppedMarker a file shared by all windows: present while the user has stopped the server,
   * so that other windows do not take it over and new ones do not start it.
   */
  constructor(
    private config: Config,
    private readonly keys: ApiKeyStore,
    private readonly log: vscode.LogOutputChannel,
    private readonly stoppedMarker: string,
  ) {}

  /** Whether the user stopped the server (in any window) and has not started it since. */
  get stoppedByUser(): boolean {
    return existsSync(this.stoppedMarker);
  }

  get server(): SharedServerState {
    return this.shared?.current ?? { kind: "stopped" };
  }

  get model(): ModelState {
    return this.modelState;
  }

  /** A client of whichever server answers on the configured port, with the API key if one is set. */
  get client(): ApiClient {
    return new ApiClient(baseUrl(this.config), this.apiKey, this.clientId);
  }

  get url(): string {
    return baseUrl(this.config);
  }

  async start(): Promise<void> {
    if (this.shared) return;
    clearInterval(this.rejoinTimer);
    await rm(this.stoppedMarker, { force: true });
    this.apiKey = this.config.requireApiKey ? await this.keys.getOrCreate() : await this.keys.get();
    const shared = new SharedServer({
      url: baseUrl(this.config),
      listen: () => this.listen(),
      mayTakeOver: async () => !this.stoppedByUser,
      log: (m) => this.log.info(m),
    });
    this.shared = shared;
    shared.onDidChange((state) => {
      if (state.kind === "owner" && this.pool?.list().length === 0) void this.loadModel();
      if (state.kind === "conflict" || state.kind === "failed") this.log.error(state.message);
      if (state.kind === "stopped" && this.shared === shared) this.startWhenRestarted();
      this.changed.fire();
    });
    await shared.start();
  }

  /**
   * Stops serving, for every window until the user starts it again. As the owner the model is
   * unloaded too, freeing its memory; the worker stays.
   */
  async stop(): Promise<void> {
    await mkdir(path.dirname(this.stoppedMarker), { recursive: true });
    await writeFile(this.stoppedMarker, `${process.pid}\n`);
    await this.shutDown();
    this.startWhenRestarted();
  }

  async restart(): Promise<void> {
    await this.shutDown();
    await this.start();
  }

  /** New listening settings: serve again with them, keeping the loaded model. */
  async applyServerConfig(config: Config): Promise<void> {
    this.config = config;
    const shared = this.shared;
    if (!shared) return;
    this.shared = undefined;
    await shared.stop();
    await this.start();
  }

  /** New model settings: the owner loads again; clients use whatever the owner serves. */
  async applyModelConfig(config: Config): Promise<void> {
    this.config = config;
    if (this.server.kind === "owner") await this.loadModel();
  }

  /**
   * Loads each role's model (the configured one, or the machine's pick under the device and
   * battery preferences) into the engine, when this window owns the server. Models that stay the
   * same stay loaded.
   */
  async loadModel(): Promise<void> {
    const pool = this.pool;
    if (!pool || this.server.kind !== "owner") return;
    const generation = ++this.loadGeneration;
    const { model, device, batteryPolicy } = this.config;
    const named = model.chat || model.completion;
    this.setModel({ kind: "loading", model: named || "the best downloaded models for this machine" });
    try {
      const { loaded, missing } = await loadRoleModels(pool, {
        models: { ...(model.chat && { chat: model.chat }), ...(model.completion && { completion: model.completion }) },
        roles: ["chat", "completion"],
        contextSize: this.config.contextSize,
        parallel: this.config.parallel,
        cpu: device === "cpu",
        preferences: { device, batteryPolicy },
        cacheDir: this.config.modelsFolder,
        log: (m) => this.log.info(m),
      });
      if (generation !== this.loadGeneration) return;
      const chat = loaded.chat ?? loaded.completion;
      if (!chat) throw missing ?? new ModelNotAvailableError("there is no model to load");
      if (missing) this.log.warn(missing.message);
      const completion = loaded.completion && loaded.completion.info.id !== chat.info.id ? loaded.completion.info : undefined;
      this.setModel({ kind: "loaded", info: chat.info, ...(completion && { completion }) });
    } catch (err) {
      if (generation !== this.loadGeneration) return;
      const message = (err as Error).message;
      this.log.error(`no model loaded: ${message}`);
      this.setModel(err instanceof ModelNotAvailableError && !named ? { kind: "missing", message } : { kind: "failed", message });
    }
  }

  /**
   * The machine went on battery or back on AC: the machine's own picks may now be lower-power
   * models or devices (or the faster ones again). Models whose pick did not change stay loaded.
   */
  async applyPowerChange(): Promise<void> {
    const { model, batteryPolicy } = this.config;
    if (this.server.kind !== "owner" || batteryPolicy === "ignore" || (model.chat && model.completion) || this.modelState.kind !== "loaded") return;
    this.log.info("power source changed: choosing the models for it");
    await this.loadModel();
  }

  async dispose(): Promise<void> {
    clearInterval(this.rejoinTimer);
    this.loadGeneration++;
    await this.shared?.stop();
    await this.pool?.dispose();
    this.changed.dispose();
  }

  private async shutDown(): Promise<void> {
    const shared = this.shared;
    this.shared = undefined;
    this.loadGeneration++;
    await shared?.stop();
    await this.pool?.unloadAll();
    this.setModel({ kind: "idle" });
  }

  /** The user stopped the server, maybe in another window: stay stopped until a window starts it again. */
  startWhenRestarted(): void {
    this.shared = undefined;
    clearInterval(this.rejoinTimer);
    this.rejoinTimer = setInterval(() => {
      if (!this.stoppedByUser) void this.start();
    }, REJOIN_CHECK_MS);
  }

  private async listen() {
    // The worker thread starts only when this window becomes the owner, never on activation.
    this.pool ??= new ModelPool({
      createEngine: () => new EngineHost({ onWorkerStart: () => this.log.info("engine worker started") }),
      memoryBudgetBytes: memoryBudget(await probeHardware()),
      log: (m) => this.log.info(m),
    });
    return startServer(this.pool, {
      host: this.config.host,
      port: this.config.port,
      apiKey: this.config.requireApiKey ? this.apiKey : undefined,
      allowedOrigins: this.config.allowedOrigins,
      version: VERSION,
      store: await openModelStore(this.config.modelsFolder ? { cacheDir: this.config.modelsFolder } : {}),
    });
  }

  private setModel(state: ModelState): void {
    this.modelState = state;
    this.changed.fire();
  }
}
