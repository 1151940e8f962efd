// The extension's state for one window: settings, the log, this window's hold on the server (a
// process of its own), the status bar, inline completions, and the machine's probe. Created on
// activation; nothing here loads a model or a native runtime, in this process or any other, until
// the server starts after activation has returned.
import path from "node:path";
import * as vscode from "vscode";
import type { Health } from "../core/protocol/api";
import { chatModel, completionModel } from "./apiClient";
import { ApiKeyStore } from "./apiKey";
import { ChatHistory } from "./chat/chatHistory";
import { ChatSession } from "./chat/chatSession";
import { ChatViewProvider } from "./chat/chatViewProvider";
import { EditReview } from "./edit/editReview";
import { LanguageModels, VENDOR } from "./languageModels";
import { noticeFor } from "./chat/problems";
import { Completer, type CompletionReport } from "./completions/completer";
import { CompletionProvider } from "./completions/completionProvider";
import { CompletionsStatus } from "./completions/completionsStatus";
import { PowerState } from "./completions/power";
import { affects, completionsEnabled, type Config, readConfig, SECTION, SERVER_KEYS } from "./config";
import { offerFirstModel } from "./firstRun";
import { MachineInfo } from "./machine";
import { offerAnotherPort } from "./portConflict";
import { ServerHost } from "./serverHost";
import { ServerLog } from "./serverLog";
import { serverLogFile } from "./serverProcess";
import { ServerMonitor } from "./serverMonitor";
import { StatusBar, statusView, type StatusView } from "./statusBar";
import { StopMarker } from "./stopMarker";

export class Ctx implements vscode.Disposable {
  readonly log = vscode.window.createOutputChannel("Squeeze", { log: true });
  readonly keys: ApiKeyStore;
  readonly host: ServerHost;
  readonly machine: MachineInfo;
  readonly completer: Completer;
  readonly chat: ChatViewProvider;
  /** Edits proposed by the model or the chat, reviewed as diffs. */
  readonly edits: EditReview;
  /** The server's models in VS Code's chat and `vscode.lm`. */
  readonly languageModels: LanguageModels;
  private servedModels = "";
  private readonly monitor: ServerMonitor;
  private readonly power: PowerState;
  private lastCompletion: CompletionReport | undefined;
  private servedModel: string | undefined;
  private readonly statusBar = new StatusBar();
  private readonly completionsStatus = new CompletionsStatus();
  private readonly serverLog = new ServerLog(this.log);
  private readonly statusChanged = new vscode.EventEmitter<StatusView>();
  readonly onDidChangeStatus = this.statusChanged.event;
  private configNow: Config;
  private readonly disposables: vscode.Disposable[] = [];
  private lastProblem: string | undefined;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.configNow = this.reread();
    this.keys = new ApiKeyStore(extension.secrets);
    this.machine = new MachineInfo(extension.extensionPath, () => this.configNow);
    this.host = new ServerHost(this.configNow, extension.extensionPath, this.keys, this.log, new StopMarker(path.join(extension.globalStorageUri.fsPath, "server-stopped")));
    this.monitor = new ServerMonitor(() => this.host.client);
    this.power = new PowerState(() => this.configNow.batteryPolicy);
    this.completer = new Completer(
      () => this.host.client,
      () => completionModel(this.monitor.current.health),
      { debounceMs: () => this.configNow.completionsDebounceMs, onBattery: () => this.power.onBattery },
      (report) => {
        this.lastCompletion = report;
        this.render();
      },
    );
    const session = new ChatSession({
      client: () => this.host.client,
      served: () => ({ model: this.monitor.current.health?.model ?? null, contextSize: this.monitor.current.health?.context_size ?? null }),
      notice: () => noticeFor(this.status),
      history: new ChatHistory(extension.workspaceState),
      log: (message) => this.log.warn(message),
    });
    this.edits = new EditReview(() => this.host.client, () => chatModel(this.monitor.current.health));
    this.chat = new ChatViewProvider(extension.extensionUri, session, this.edits, this.log);
    this.languageModels = new LanguageModels(() => this.host.client);
    // Older editors have no language model providers; everything else works there.
    if (typeof vscode.lm?.registerLanguageModelChatProvider === "function") {
      this.disposables.push(vscode.lm.registerLanguageModelChatProvider(VENDOR, this.languageModels));
    }
    const provider = new CompletionProvider(this.completer, (languageId) => completionsEnabled(this.configNow, languageId));
    this.disposables.push(
      this.power,
      this.completer,
      provider,
      vscode.languages.registerInlineCompletionItemProvider({ pattern: "**" }, provider),
      this.chat,
      this.edits,
      this.languageModels,
      this.log,
      this.statusBar,
      this.completionsStatus,
      vscode.window.onDidChangeActiveTextEditor(() => this.render()),
      this.serverLog,
      this.monitor,
      this.statusChanged,
      this.host.onDidChange(() => this.onHostChange()),
      this.monitor.onDidChange((snapshot) => {
        // Another model answers differently: what the old one suggested is forgotten, and the
        // file in front of the user is warmed up for it.
        const served = completionModel(snapshot.health);
        if (served !== this.servedModel) {
          this.completer.clearCache();
          if (served) provider.warmUp();
        }
        this.servedModel = served;
        const models = snapshot.health?.models?.join("\n") ?? "";
        if (models !== this.servedModels) this.languageModels.refresh();
        this.servedModels = models;
        this.render();
        this.noticeProblem();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => void this.onConfigChange(e)),
      this.keys.onDidChange(() => void this.host.applyConfig(this.configNow)),
    );
    this.render();
  }

  get config(): Config {
    return this.configNow;
  }

  /** What the server last said about itself and its models. */
  get health(): Health | undefined {
    return this.monitor.current.health;
  }

  get status(): StatusView {
    return statusView(this.host.server, this.monitor.current);
  }

  /** Starts or joins the server unless the user stopped it; failures are shown, never thrown into activation. */
  async autoStart(): Promise<void> {
    if (!this.configNow.autoStart) return;
    if (this.host.stoppedByUser) {
      this.log.info('the server was stopped by the user: "Squeeze: Start Server" starts it');
      return this.host.stayStopped();
    }
    await this.start();
  }

  async start(): Promise<void> {
    try {
      await this.host.start();
    } catch (err) {
      this.log.error(`the server did not start: ${(err as Error).message}`);
    }
  }

  async dispose(): Promise<void> {
    // A streaming answer is stopped and saved before the server it streams from goes away.
    await this.chat.session.stop();
    for (const d of this.disposables) d.dispose();
    this.host.dispose();
  }

  private onHostChange(): void {
    const server = this.host.server;
    if (server.kind === "running" && server.server.log_offset !== null) this.serverLog.follow(serverLogFile(this.configNow.port), server.server.log_offset);
    else if (server.kind !== "running") this.serverLog.stop();
    this.monitor.refresh();
    this.render();
    this.noticeProblem();
  }

  /** Tells the user once about a new problem: the port taken, a failed start, no model to serve. */
  private noticeProblem(): void {
    const server = this.host.server;
    const missing = server.kind === "running" && this.status.state === "no-model" && Boolean(this.health?.notice);
    const problem = server.kind === "conflict" || server.kind === "failed" ? server.message : missing ? "missing" : undefined;
    if (problem === this.lastProblem) return;
    this.lastProblem = problem;
    if (server.kind === "conflict") void offerAnotherPort(server.message, this.configNow.host, this.configNow.port);
    else if (server.kind === "failed") this.showError(`the server could not start: ${server.message}`);
    else if (problem === "missing") void offerFirstModel(this).catch((err: Error) => this.showError(err.message));
  }

  /** An error the user should see, with the way to the details. */
  showError(message: string): void {
    this.log.error(message);
    void vscode.window.showErrorMessage(`Squeeze: ${message}`, "Show Logs").then((choice) => choice && this.log.show());
  }

  private async onConfigChange(event: vscode.ConfigurationChangeEvent): Promise<void> {
    if (!event.affectsConfiguration(SECTION)) return;
    const config = this.reread();
    this.render();
    if (affects(event, SERVER_KEYS)) {
      this.log.info(`server settings changed: serving at ${config.host}:${config.port}`);
      await this.host.applyConfig(config);
    }
    if (event.affectsConfiguration(`${SECTION}.server.autoStart`)) await this.autoStart();
  }

  private reread(): Config {
    const { config, problems } = readConfig();
    for (const problem of problems) {
      this.log.warn(problem);
      void vscode.window.showWarningMessage(`Squeeze: ${problem}.`);
    }
    this.configNow = config;
    return config;
  }

  private render(): void {
    const view = this.status;
    const language = vscode.window.activeTextEditor?.document.languageId;
    const completionsOn = completionsEnabled(this.configNow, language ?? "*");
    this.statusBar.render(view, this.host.server, this.monitor.current, { enabled: completionsOn, language, last: this.lastCompletion });
    this.completionsStatus.render(language, completionsOn);
    this.statusChanged.fire(view);
    this.chat.refresh();
  }
}
