// Polls the server's health and stats for the status bar: which model it serves, on which device,
// whether it is generating, and the last request's speed. Every window polls the same way,
// whether it hosts the server or not; these are loopback requests of a few hundred bytes.
import * as vscode from "vscode";
import type { Health, Stats } from "../core/protocol/api";
import type { ApiClient } from "./apiClient";

export interface ServerSnapshot {
  health: Health | undefined;
  stats: Stats | undefined;
}

const IDLE_MS = 2000;
const BUSY_MS = 500;

export class ServerMonitor implements vscode.Disposable {
  private snapshot: ServerSnapshot = { health: undefined, stats: undefined };
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;
  private readonly changed = new vscode.EventEmitter<ServerSnapshot>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly client: () => ApiClient) {
    this.schedule(0);
  }

  get current(): ServerSnapshot {
    return this.snapshot;
  }

  /** Polls now, e.g. after the server or its model changed. */
  refresh(): void {
    clearTimeout(this.timer);
    this.schedule(0);
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.changed.dispose();
  }

  private schedule(ms: number): void {
    if (this.disposed) return;
    this.timer = setTimeout(() => void this.poll(), ms);
  }

  private async poll(): Promise<void> {
    const client = this.client();
    const [health, stats] = await Promise.all([client.health().catch(() => undefined), client.stats().catch(() => undefined)]);
    if (this.disposed) return;
    const next = { health, stats };
    if (JSON.stringify(next) !== JSON.stringify(this.snapshot)) {
      this.snapshot = next;
      this.changed.fire(next);
    }
    this.schedule(stats && stats.requests_in_flight > 0 ? BUSY_MS : IDLE_MS);
  }
}
