// One server per machine. Every process that wants the API (each VS Code window's extension host)
// tries to listen on the port; the one that gets it owns the server and the model, the others use
// it as clients and watch its /health. When the owner goes away, the first watcher to notice
// takes the port over; the port itself settles a race, since only one process can listen on it.
import { canListen } from "../util/ports";
import { PortInUseError, probeSqueeze, type RunningServer, type SqueezeHolder } from "./server";

export type SharedServerState =
  | { kind: "stopped" }
  | { kind: "starting"; url: string }
  /** This process listens; `server` is its own. */
  | { kind: "owner"; url: string; server: RunningServer }
  /** Another Squeeze process listens on the port; this one uses it. */
  | { kind: "client"; url: string; holder: SqueezeHolder }
  /** Another program holds the port. Watched: the port is taken when it is freed. */
  | { kind: "conflict"; url: string; message: string }
  /** Listening failed for another reason (an address that is not this machine's, a privileged port). */
  | { kind: "failed"; url: string; message: string };

export interface SharedServerOptions {
  /** The URL clients use (`http://host:port`). */
  url: string;
  /** Starts listening as the owner; throws PortInUseError when the port is taken. */
  listen(): Promise<RunningServer>;
  /** Asked when the owner has gone: false when it was stopped on purpose, and this process stops too. */
  mayTakeOver?: () => Promise<boolean>;
  /** How often a client checks that the owner is still there; default 1 s. */
  watchIntervalMs?: number;
  log(message: string): void;
}

export class SharedServer {
  private state: SharedServerState = { kind: "stopped" };
  private readonly listeners = new Set<(state: SharedServerState) => void>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: SharedServerOptions) {}

  get current(): SharedServerState {
    return this.state;
  }

  onDidChange(listener: (state: SharedServerState) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  async start(): Promise<SharedServerState> {
    this.set({ kind: "starting", url: this.options.url });
    await this.claim();
    this.schedule();
    return this.state;
  }

  /** Stops watching and, as the owner, stops listening: a watcher elsewhere then takes over. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const state = this.state;
    this.set({ kind: "stopped" });
    if (state.kind === "owner") await state.server.close();
  }

  private async claim(): Promise<void> {
    const { url } = this.options;
    try {
      const server = await this.options.listen();
      if (this.stopped) return void (await server.close());
      this.options.log(`serving at ${server.url}: this process owns the server`);
      this.set({ kind: "owner", url: server.url, server });
    } catch (err) {
      if (this.stopped) return;
      if (!(err instanceof PortInUseError)) {
        this.set({ kind: "failed", url, message: (err as Error).message });
      } else if (err.holder) {
        if (this.state.kind !== "client") this.options.log(`using the Squeeze server at ${url} (version ${err.holder.version}) that another window started`);
        this.set({ kind: "client", url, holder: err.holder });
      } else if (this.state.kind !== "client") {
        this.set({ kind: "conflict", url, message: err.message });
      }
      // A client whose owner holds the port but did not answer in time stays a client: a busy
      // process is not a foreign one, and the next check tells.
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.check().finally(() => this.schedule()), this.options.watchIntervalMs ?? 1000);
  }

  private async check(): Promise<void> {
    const state = this.state;
    if (state.kind === "client") {
      const holder = await probeSqueeze(state.url);
      if (this.stopped || this.state !== state) return;
      if (!holder) {
        if (this.options.mayTakeOver && !(await this.options.mayTakeOver())) {
          this.options.log(`the Squeeze server at ${state.url} was stopped from another window`);
          return this.stop();
        }
        this.options.log(`the Squeeze server at ${state.url} stopped answering: taking it over`);
        await this.claim();
      } else if (holder.model !== state.holder.model || holder.version !== state.holder.version) {
        this.set({ ...state, holder });
      }
    } else if (state.kind === "conflict" && (await this.portIsFree())) {
      await this.claim();
    }
  }

  /** Checked before claiming again, so a foreign program is not sent a request every second. */
  private portIsFree(): Promise<boolean> {
    const { hostname, port } = new URL(this.options.url);
    return canListen(hostname.replace(/^\[|\]$/g, ""), Number(port));
  }

  private set(state: SharedServerState): void {
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }
}
