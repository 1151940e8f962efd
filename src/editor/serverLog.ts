// The server's own lines in this window's log: its output goes to a file (it outlives windows, so
// no pipe), and the window follows that file from where the server it uses began, so that "Show
// Logs" shows what the server did (loads, failures, why it stopped) beside the window's own lines.
import { open } from "node:fs/promises";
import type * as vscode from "vscode";

const EVERY_MS = 1000;

export class ServerLog implements vscode.Disposable {
  private following: { file: string; offset: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private partial = "";

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /** Follows `file` from `offset` (the start of the server's own output); the same file and start again changes nothing. */
  follow(file: string, offset: number): void {
    if (this.following?.file === file && this.following.offset >= offset) return;
    this.stop();
    this.following = { file, offset };
    this.timer = setInterval(() => void this.read(), EVERY_MS);
    void this.read();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.following = undefined;
    this.partial = "";
  }

  dispose(): void {
    this.stop();
  }

  private async read(): Promise<void> {
    const following = this.following;
    if (!following) return;
    const handle = await open(following.file, "r").catch(() => undefined);
    if (!handle) return;
    try {
      const { size } = await handle.stat();
      if (size <= following.offset) return;
      const buffer = Buffer.alloc(Math.min(size - following.offset, 1 << 20));
      await handle.read(buffer, 0, buffer.length, following.offset);
      following.offset += buffer.length;
      const lines = (this.partial + buffer.toString("utf8")).split("\n");
      this.partial = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) this.log.info(`[server] ${line.replace(/^squeeze: /, "")}`);
    } finally {
      await handle.close();
    }
  }
}
