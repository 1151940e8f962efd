// Download progress on the terminal: one bar redrawn in place on a TTY, plain lines (every 10%,
// or every few seconds) when the output goes to a file or another program.
import { formatBytes } from "../core/store/diskSpace";
import { formatTimeLeft, type PullProgress } from "../core/store/transferProgress";

const PLAIN_EVERY_MS = 5000;

export class ProgressBar {
  private lastPercent = -1;
  private lastLine = 0;
  private drawn = false;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  update(p: PullProgress): void {
    if (p.phase === "waiting" || p.phase === "retrying") return this.line(p.message ?? p.phase);
    if (p.phase === "resolving") return this.line(`resolving ${p.repo}`);
    if (p.bytesTotal === 0) return;
    const percent = Math.floor((100 * p.bytesDone) / p.bytesTotal);
    const figures = `${formatBytes(p.bytesDone)} / ${formatBytes(p.bytesTotal)}  ${formatBytes(p.bytesPerSecond)}/s  ${eta(p)}`;
    if (this.out.isTTY) {
      const width = 24;
      const filled = Math.round((width * percent) / 100);
      const text = `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${String(percent).padStart(3)}%  ${figures}  ${p.file ?? ""}`;
      this.out.write(`\r${text.slice(0, (this.out.columns ?? 100) - 1)}\x1b[K`);
      this.drawn = true;
      if (p.phase === "done") this.end();
      return;
    }
    const now = Date.now();
    if (p.phase === "done" || Math.floor(percent / 10) > Math.floor(this.lastPercent / 10) || now - this.lastLine >= PLAIN_EVERY_MS) {
      this.lastPercent = percent;
      this.line(`${p.repo}: ${percent}% (${figures})`);
    }
  }

  /** Leaves the bar's line so what follows starts on a fresh one. */
  end(): void {
    if (this.drawn) this.out.write("\n");
    this.drawn = false;
  }

  private line(text: string): void {
    this.end();
    this.lastLine = Date.now();
    this.out.write(`${text}\n`);
  }
}

function eta(p: PullProgress): string {
  if (p.phase === "done") return "done";
  return p.etaSeconds === null ? "" : formatTimeLeft(p.etaSeconds);
}
