// This window's hold on the machine's one Squeeze server, which runs as `squeeze serve` in a
// process of its own. The first window starts it; every window attaches to it (a stream held open,
// which the server counts for its keep-alive and whose end tells the window at once that it is
// gone); a window that finds it gone starts it again, with backoff and a bounded number of tries.
// Closing a window never stops the server: the others keep their models and their streams.
// Anything can listen on the port and answer like Squeeze, so the window sends nothing (no code, no
// messages, no key) to a server before it proves it holds the user's secret: once before it
// attaches, and again on every connection its requests open (trust/provenConnections.ts).
import { randomUUID } from "node:crypto";
import type { Agent } from "undici";
import * as vscode from "vscode";
import { blameCrash, forgiveCrash } from "../core/service/crashBlame";
import type { Health, ServerIdentity } from "../core/protocol/api";
import { probeSqueeze } from "../core/server/serverAddress";
import { provenAgent } from "../core/trust/provenConnections";
import { userSecret, type UserSecret } from "../core/trust/userSecret";
import { canListen } from "../core/util/ports";
import { delay } from "../core/util/delay";
import { withPidLock } from "../core/util/pidLock";
import { ApiClient, ApiRequestError, type Credentials } from "./apiClient";
import type { ApiKeyStore } from "./apiKey";
import { baseUrl, type Config } from "./config";
import { RestartBudget } from "./restartBudget";
import type { StopMarker } from "./stopMarker";
import { serveArgs, serverLastWords, serverLogFile, serverStartLock, startServer, stopServerProcess, type StartedServer } from "./serverProcess";

export type ServerState =
  | { kind: "stopped" }
  | { kind: "starting"; url: string }
  /** Attached; `server.keep_alive_s` is null for a server started from a terminal, which windows only use. */
  | { kind: "running"; url: string; server: ServerIdentity }
  /** The server went away unexpectedly and this window is starting it again. */
  | { kind: "restarting"; url: string; attempt: number; reason: string }
  /**
   * Another program holds the port (`holder` names it for the status bar), maybe one that answers
   * like Squeeze but cannot prove it is the user's. Watched: the server starts once the port is free.
   */
  | { kind: "conflict"; url: string; message: string; holder: string }
  | { kind: "failed"; url: string; message: string };

/** How long a started server may take to listen (its model loads after that). */
const LISTEN_TIMEOUT_MS = 30_000;
const WATCH_MS = 2000;
/** How long the ready time is waited for (a first model load may include proving it in a test process). */
const LOAD_WAIT_MS = 600_000;

export class ServerHost implements vscode.Disposable {
  private state: ServerState = { kind: "stopped" };
  private apiKey: string | undefined;
  private secret: UserSecret | undefined;
  /** Connections to the server, each proven before a request goes over it. */
  private agent: Agent | undefined;
  /** The URL whose server proved it is the user's, while this window is attached to it. */
  private proven: string | undefined;
  /** Bumped whenever this window starts, stops or moves, so that older work finishing late is ignored. */
  private session = 0;
  private attachment: AbortController | undefined;
  private readonly restarts = new RestartBudget();
  private watchTimer: NodeJS.Timeout | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  /** This window, to the server: its completions keep a KV sequence of their own. */
  private readonly clientId = `window-${randomUUID()}`;
  /** Milliseconds from this window's first look to a server with its models loaded, once it has been. */
  readyMs: number | undefined;

  constructor(
    private config: Config,
    private readonly extensionPath: string,
    private readonly keys: ApiKeyStore,
    private readonly log: vscode.LogOutputChannel,
    private readonly stopMarker: StopMarker,
  ) {}

  /** Whether the user stopped the server (in any window) and has not started it since. */
  get stoppedByUser(): boolean {
    return this.stopMarker.present;
  }

  get server(): ServerState {
    return this.state;
  }

  /**
   * A client of the user's own server, which it proved to be; it sends the user's token (which the
   * server accepts in place of its key), over connections that each prove it again. A request
   * waits for a server that is starting, and fails unsent while none has proven itself.
   */
  get client(): ApiClient {
    const url = this.url;
    return new ApiClient(url, (signal) => this.provenCredentials(url, signal), this.clientId);
  }

  /** The user's token and proven connections for `url` once its server has proven itself. */
  private async provenCredentials(url: string, signal?: AbortSignal): Promise<Credentials> {
    const deadline = performance.now() + LISTEN_TIMEOUT_MS;
    while (this.proven !== url || !this.secret || !this.agent) {
      const starting = this.state.kind === "starting" || this.state.kind === "restarting";
      if (!starting || url !== this.url || performance.now() >= deadline) throw new ServerUnprovenError(this.state);
      signal?.throwIfAborted();
      await delay(100);
    }
    return { token: this.secret.token, dispatcher: this.agent };
  }

  get url(): string {
    return baseUrl(this.config);
  }

  /** Starts the server, or joins the one running. */
  async start(): Promise<void> {
    await this.stopMarker.clear();
    this.restarts.reset();
    await this.connect(++this.session);
  }

  /** Stops the server for every window until the user starts it again. */
  async stop(): Promise<void> {
    await this.stopMarker.set();
    const running = this.state.kind === "running" ? this.state.server : undefined;
    const session = ++this.session;
    this.letGo();
    if (running) await stopServerProcess(running.pid);
    if (session === this.session) this.stayStopped();
  }

  /** Starts the server again: the one this window's settings describe. */
  async restart(): Promise<void> {
    const running = this.state.kind === "running" ? this.state.server : undefined;
    if (running && running.keep_alive_s === null) throw new Error(`the server at ${this.url} was started from a terminal (pid ${running.pid}): restart it there`);
    const session = ++this.session;
    this.letGo();
    if (running) await stopServerProcess(running.pid);
    if (session !== this.session) return;
    await this.stopMarker.clear();
    this.restarts.reset();
    await this.connect(session);
  }

  /**
   * New settings. A server that windows started and that runs with other settings is started again
   * with these (the windows sharing it see it come back); one started from a terminal is only used.
   */
  async applyConfig(config: Config): Promise<void> {
    const moved = baseUrl(config) !== baseUrl(this.config);
    const before = this.state;
    this.config = config;
    // Not started (stopped by the user, or no auto-start): the new settings apply when it starts.
    if (before.kind === "stopped") return;
    if (moved) {
      const session = ++this.session;
      this.letGo();
      // The old server stays for any other window on it; alone there, this window stops it.
      if (before.kind === "running" && before.server.keep_alive_s !== null) await this.stopIfUnused(before.url, before.server.pid);
      if (session === this.session) await this.connect(session);
      return;
    }
    await this.refreshKey();
    if (before.kind !== "running") return void (await this.connect(++this.session));
    if (before.server.keep_alive_s === null) {
      this.log.info(`the server at ${this.url} was started from a terminal: its settings are its own`);
      return;
    }
    if (!(await this.runsAsConfigured(before.server))) await this.restart();
  }

  dispose(): void {
    this.session++;
    this.letGo();
    clearTimeout(this.watchTimer);
    this.changed.dispose();
    void this.agent?.close();
  }

  /** The user stopped the server, maybe in another window: stay stopped until a window starts it again. */
  stayStopped(): void {
    this.set({ kind: "stopped" });
    const session = this.session;
    this.watch(session, async () => {
      if (!this.stoppedByUser) await this.connect(session);
      else return "again";
    });
  }

  /** Attaches to the server on the configured port, starting it when nothing is there. */
  private async connect(session: number, restart?: { attempt: number; reason: string }): Promise<void> {
    const url = this.url;
    const began = performance.now();
    this.set(restart ? { kind: "restarting", url, ...restart } : { kind: "starting", url });
    await this.refreshKey();
    const secret = await this.userSecret(session);
    if (!secret) return;
    let started: StartedServer | undefined;
    let refusals = 0;
    for (;;) {
      if (session !== this.session) return;
      const holder = await probeSqueeze(url, secret);
      if (session !== this.session) return;
      if (holder && !holder.proven) return this.conflict(session, url, holder.version);
      if (holder) {
        this.proven = url;
        const attached = await this.attach(session, url);
        if (attached === "stale") return;
        if (attached !== "gone") return void this.reportReady(session, began, attached.pid === started?.pid ? "started" : "joined", attached);
        if (++refusals > 20) return this.fail(session, `the Squeeze server at ${url} (version ${holder.version}) does not let windows attach: stop it, or choose another port`);
        await delay(100);
        continue;
      }
      if (started) {
        const outcome = await Promise.race([started.exited, delay(0).then(() => undefined)]);
        const words = await serverLastWords(started.log, started.logOffset);
        if (outcome) return this.fail(session, `the server exited (${outcome.signal ?? `code ${outcome.code}`}) before it was ready${words ? `: ${words}` : ""}`);
        return this.fail(session, `the server did not answer at ${url} within ${LISTEN_TIMEOUT_MS / 1000} s${words ? `: ${words}` : ""} (log: ${started.log})`);
      }
      const { hostname, port } = new URL(url);
      if (!(await canListen(hostname.replace(/^\[|\]$/g, ""), Number(port)))) {
        if (await this.squeezeAnswers(url)) continue; // just began listening
        return this.conflict(session, url);
      }
      // One window starts it; the others wait for that one and then find the server there.
      started = await withPidLock(await serverStartLock(this.config.port), { silentMs: LISTEN_TIMEOUT_MS * 2 }, async () => {
        if (session !== this.session || (await this.squeezeAnswers(url))) return undefined;
        const child = startServer(this.extensionPath, this.config, this.apiKey);
        this.log.info(`starting the server: squeeze serve ${serveArgs(this.config).join(" ")} (pid ${child.pid}, log ${child.log})`);
        await this.listening(url, child);
        return child;
      });
    }
  }

  /** Resolves once the started server answers, exits, or has not answered in LISTEN_TIMEOUT_MS. */
  private async listening(url: string, child: StartedServer): Promise<void> {
    let exited = false;
    void child.exited.then(() => (exited = true));
    const since = performance.now();
    while (!exited && performance.now() - since < LISTEN_TIMEOUT_MS && !(await this.squeezeAnswers(url))) await delay(100);
  }

  /** Holds this window's place at the server; "gone" when it did not let this window attach. */
  private async attach(session: number, url: string): Promise<ServerIdentity | "gone" | "stale"> {
    const controller = new AbortController();
    let attachment;
    try {
      attachment = await this.client.attach(controller.signal);
    } catch (err) {
      controller.abort();
      if (session !== this.session) return "stale";
      if (err instanceof ApiRequestError && err.status === 401) {
        this.fail(session, `the server at ${url} requires an API key this window does not have: set it with "Squeeze: Set API Key"`);
        return "stale";
      }
      return "gone";
    }
    if (session !== this.session) {
      controller.abort();
      return "stale";
    }
    this.attachment = controller;
    const server = attachment.server;
    this.set({ kind: "running", url, server });
    void attachment.ended.then(({ planned }) => {
      if (this.attachment !== controller) return;
      // At once, before anything is awaited: whatever takes the port next has proven nothing.
      this.proven = undefined;
      void this.lost(session, server, planned);
    });
    return server;
  }

  /** The attach stream ended without this window letting go: stopped (`planned`: it said so) or died. */
  private async lost(session: number, server: ServerIdentity, planned: boolean): Promise<void> {
    this.attachment = undefined;
    if (session !== this.session) return;
    if (this.stoppedByUser) {
      this.log.info("the server was stopped from another window");
      return this.stayStopped();
    }
    if (planned) {
      // Restarted by another window (new settings), or stopped by hand: join or start the next one.
      this.log.info(`the server (pid ${server.pid}) shut down: using the next one`);
      return this.connect(session);
    }
    const verdict = this.restarts.stopped();
    // Its own error line where it printed one (an abort); none when it was killed (kill -9, out of memory).
    const words = server.log_offset === null ? undefined : await serverLastWords(serverLogFile(this.config.port), server.log_offset, true);
    const reason = `the server (pid ${server.pid}) stopped unexpectedly${words ? ` (${words})` : ""}`;
    this.blame(server.pid, words);
    if (!verdict.restart) {
      return this.fail(session, `${reason}. It stopped ${verdict.stops} times in ${verdict.minutes} minutes, so it is not started again until you run "Squeeze: Restart Server"`);
    }
    const { attempt } = verdict;
    this.log.warn(`${reason}: starting it again (attempt ${attempt} of ${verdict.of})`);
    this.set({ kind: "restarting", url: this.url, attempt, reason });
    await delay(verdict.waitMs);
    if (session === this.session) await this.connect(session, { attempt, reason });
  }

  /** The user's secret, read (or made) once; undefined, and the window failed, when it cannot be. */
  private async userSecret(session: number): Promise<UserSecret | undefined> {
    try {
      this.secret ??= await userSecret();
      this.agent ??= provenAgent(this.secret);
      return this.secret;
    } catch (err) {
      this.fail(session, `the user secret that proves the server is yours cannot be used: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** Logs (and keeps) how long the server took to be ready to use, its models loaded, from this window's first look. */
  private async reportReady(session: number, began: number, how: "started" | "joined", server: ServerIdentity): Promise<void> {
    for (let waited = 0; waited < LOAD_WAIT_MS; waited += 100) {
      const health = await this.client.health().catch(() => undefined);
      if (session !== this.session) return;
      if (health && !health.starting) {
        this.readyMs = performance.now() - began;
        const models = health.models?.length ? `serving ${health.models.join(", ")}` : "no model loaded";
        this.log.info(`${how} the server at ${this.url} (pid ${server.pid}, version ${server.version}): ready in ${Math.round(this.readyMs)} ms, ${models}`);
        return;
      }
      await delay(100);
    }
  }

  /** The server died: a model that took it down is remembered as bad (crashBlame.ts), so that it comes back without it. */
  private blame(pid: number, words: string | undefined): void {
    const { blamed, undecided } = blameCrash(pid, words);
    for (const { message } of blamed) this.log.error(message);
    if (undecided.length > 0) this.log.warn(`the server had ${undecided.map((m) => m.id).join(", ")} loaded when it stopped; which one stopped it is not known`);
  }

  /** The user picked `model` (an id or a path): a crash it caused is forgiven, and it is tried afresh. */
  forgive(model: string): void {
    forgiveCrash(model);
  }

  /** Whether the running server was started with this window's settings and key. */
  private async runsAsConfigured(server: ServerIdentity): Promise<boolean> {
    if (JSON.stringify(server.argv) !== JSON.stringify(serveArgs(this.config))) return false;
    // This window's key is accepted (the server proved it is the user's, so the key may go to it),
    // and a request without one is refused exactly when a key is required.
    const accepted = !this.apiKey || (await new ApiClient(this.url, { token: this.apiKey, dispatcher: this.agent }).stats().then(() => true, () => false));
    const open = await fetch(`${this.url}/v1/models`, { signal: AbortSignal.timeout(5000) }).then((r) => r.ok, () => false);
    return accepted && open === !this.config.requireApiKey;
  }

  /** Stops a server this window is leaving when no other window is attached to it. */
  private async stopIfUnused(url: string, pid: number): Promise<void> {
    await delay(200); // for the server to see this window's stream close
    const health = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) }).then((r) => r.json() as Promise<Health>, () => undefined);
    if (health?.pid === pid && (health.windows ?? 0) === 0) await stopServerProcess(pid);
  }

  /** Whether the user's own server answers at `url` (one that cannot prove it is does not count). */
  private async squeezeAnswers(url: string): Promise<boolean> {
    return (await probeSqueeze(url, this.secret))?.proven === true;
  }

  /** `impostor`: the version claimed by a program that answers like Squeeze but did not prove it is the user's. */
  private conflict(session: number, url: string, impostor?: string): void {
    const { port, hostname } = new URL(url);
    const message = impostor
      ? `another program on port ${port} on ${hostname} answers like a Squeeze server (version ${impostor}) but cannot prove it is yours ` +
        "(another user's server, or an impostor), so this window sends it nothing: stop it or choose another port"
      : `port ${port} on ${hostname} is already in use by another program (not a Squeeze server): stop it or choose another port`;
    this.set({ kind: "conflict", url, message, holder: `another program on port ${port}` });
    this.log.error(message);
    this.watch(session, async () => {
      const free = await canListen(hostname.replace(/^\[|\]$/g, ""), Number(port));
      if (!free && !(await this.squeezeAnswers(url))) return "again";
      await this.connect(session);
    });
  }

  private fail(session: number, message: string): void {
    if (session !== this.session) return;
    this.log.error(message);
    this.set({ kind: "failed", url: this.url, message });
  }

  /** Runs `check` every WATCH_MS while the session lasts and it answers "again". */
  private watch(session: number, check: () => Promise<"again" | void>): void {
    clearTimeout(this.watchTimer);
    this.watchTimer = setTimeout(async () => {
      if (session !== this.session) return;
      if ((await check()) === "again" && session === this.session) this.watch(session, check);
    }, WATCH_MS);
  }

  private letGo(): void {
    clearTimeout(this.watchTimer);
    const attachment = this.attachment;
    this.attachment = undefined;
    attachment?.abort();
  }

  private async refreshKey(): Promise<void> {
    this.apiKey = this.config.requireApiKey ? await this.keys.getOrCreate() : await this.keys.get();
  }

  private set(state: ServerState): void {
    // Proven only while attached: a program that takes the port after the server left gets nothing.
    if (state.kind !== "running") this.proven = undefined;
    this.state = state;
    this.changed.fire();
  }
}

/** A feature asked for the server while none has proven it is the user's. */
export class ServerUnprovenError extends Error {
  constructor(state: ServerState) {
    super(state.kind === "conflict" || state.kind === "failed" ? state.message : `the Squeeze server is ${state.kind}`);
    this.name = "ServerUnprovenError";
  }
}
