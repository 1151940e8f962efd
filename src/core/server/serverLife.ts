// The server process's life beyond its models: whether it is still loading the models it starts
// with, what it could not load, and the editor windows attached to it. A server that editors start
// (`squeeze serve --keep-alive`) exits once no window has been attached for the keep-alive time,
// so it outlives the window that started it but not the last one.

export interface ServerLifeOptions {
  /** Exit after this long with no window attached; undefined: never (a server started by hand). */
  keepAliveMs?: number;
  /** A fresh server waits at least this long for its first window (the one starting it attaches at once). */
  firstWindowMs?: number;
  /** Called once when the keep-alive time has passed with no window. */
  onUnused?: () => void;
}

const FIRST_WINDOW_MS = 30_000;

export class ServerLife {
  /** True until the models the server starts with are loaded (or have failed). */
  starting = true;
  /** What the server could not load, for clients to show: a model to download, say. */
  notice: string | undefined;
  private windows = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly stoppingListeners = new Set<(reason: string) => Promise<void>>();

  constructor(private readonly options: ServerLifeOptions = {}) {
    this.idle(Math.max(options.keepAliveMs ?? 0, options.firstWindowMs ?? FIRST_WINDOW_MS));
  }

  get keepAliveMs(): number | undefined {
    return this.options.keepAliveMs;
  }

  get attachedWindows(): number {
    return this.windows;
  }

  /** A window attached; the returned function detaches it (once). */
  attach(): () => void {
    this.windows++;
    clearTimeout(this.timer);
    let attached = true;
    return () => {
      if (!attached) return;
      attached = false;
      if (--this.windows === 0) this.idle(this.options.keepAliveMs ?? 0);
    };
  }

  /** Called once if the server shuts down on purpose (not when it dies); returns the way to stop listening. */
  onStopping(listener: (reason: string) => Promise<void>): () => void {
    this.stoppingListeners.add(listener);
    return () => this.stoppingListeners.delete(listener);
  }

  /** The server is shutting down on purpose: attached windows are told why, and their streams ended, before it closes. */
  async stopping(reason: string): Promise<void> {
    const told = [...this.stoppingListeners].map((listener) => listener(reason));
    this.stoppingListeners.clear();
    await Promise.race([Promise.allSettled(told), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  }

  dispose(): void {
    clearTimeout(this.timer);
  }

  private idle(ms: number): void {
    const { keepAliveMs, onUnused } = this.options;
    if (keepAliveMs === undefined || !onUnused) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.windows === 0) onUnused();
    }, ms);
  }
}
