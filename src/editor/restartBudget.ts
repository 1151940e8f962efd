// How often a window starts the server again after it stopped unexpectedly: after a growing wait,
// and not at all once it has stopped too often in a short time (a model or a machine that takes it
// down every time should not be restarted forever).

/** Restarts after an unexpected end, and how long each waits first. */
const BACKOFF_MS = [250, 1000, 2000, 4000, 8000];
/** Unexpected ends further apart than this do not count towards giving up. */
const WINDOW_MS = 120_000;

export type RestartVerdict =
  | { restart: true; attempt: number; of: number; waitMs: number }
  | { restart: false; stops: number; minutes: number };

export class RestartBudget {
  /** When the server went away unexpectedly, newest last. */
  private stops: number[] = [];

  /** The user started the server: earlier ends no longer count. */
  reset(): void {
    this.stops = [];
  }

  /** The server stopped unexpectedly at `now`: whether to start it again, and after how long. */
  stopped(now = Date.now()): RestartVerdict {
    this.stops = [...this.stops.filter((t) => now - t < WINDOW_MS), now];
    const attempt = this.stops.length;
    if (attempt > BACKOFF_MS.length) return { restart: false, stops: attempt, minutes: WINDOW_MS / 60_000 };
    return { restart: true, attempt, of: BACKOFF_MS.length, waitMs: BACKOFF_MS[attempt - 1]! };
  }
}
