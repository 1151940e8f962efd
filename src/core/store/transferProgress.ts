// Progress of a pull as users see it: bytes done of the total, the recent rate, and the time left.
export type PullPhase = "resolving" | "downloading" | "waiting" | "retrying" | "done";

export interface PullProgress {
  phase: PullPhase;
  repo: string;
  /** The file most recently worked on. */
  file?: string;
  fileIndex: number;
  fileCount: number;
  bytesDone: number;
  bytesTotal: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
  /** Why it waits or retries. */
  message?: string;
}

/** The rate is over the last few seconds, so it follows the connection rather than the whole history. */
const WINDOW_MS = 4000;
const MIN_INTERVAL_MS = 200;

export class TransferProgress {
  private bytesDone = 0;
  private samples: { at: number; bytes: number }[] = [];
  private lastEmit = 0;
  private file: string | undefined;
  private fileIndex = 0;

  constructor(
    private readonly repo: string,
    private readonly bytesTotal: number,
    private readonly fileCount: number,
    private readonly emit: (p: PullProgress) => void,
  ) {}

  /** `fresh`: bytes that came over the network now (resumed bytes count as done but not toward the rate). */
  add(bytes: number, file: string, fileIndex: number, fresh: boolean): void {
    this.bytesDone += bytes;
    this.file = file;
    this.fileIndex = fileIndex;
    const now = Date.now();
    if (fresh) this.samples.push({ at: now, bytes });
    if (now - this.lastEmit >= MIN_INTERVAL_MS) this.send("downloading", now);
  }

  note(phase: PullPhase, message?: string): void {
    this.send(phase, Date.now(), message);
  }

  private send(phase: PullPhase, now: number, message?: string): void {
    this.lastEmit = now;
    while (this.samples.length > 0 && now - this.samples[0].at > WINDOW_MS) this.samples.shift();
    const windowBytes = this.samples.reduce((sum, s) => sum + s.bytes, 0);
    const span = this.samples.length > 0 ? Math.max(now - this.samples[0].at, 250) : 0;
    const bytesPerSecond = span > 0 ? (windowBytes * 1000) / span : 0;
    const left = Math.max(0, this.bytesTotal - this.bytesDone);
    this.emit({
      phase,
      repo: this.repo,
      file: this.file,
      fileIndex: this.fileIndex,
      fileCount: this.fileCount,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      bytesPerSecond,
      etaSeconds: phase === "done" ? 0 : bytesPerSecond > 0 ? left / bytesPerSecond : null,
      message,
    });
  }
}

/** "m:ss left", for a download's time to go. */
export function formatTimeLeft(seconds: number): string {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")} left`;
}
