// One holder at a time across processes: a lock file holding the holder's pid. A lock whose
// process is gone is stale and taken over; a live one is waited for. Used for a blob being
// downloaded (the CLI and a server may pull one model at once) and for starting the server (two
// windows finding it gone at once start one).
import { open, readFile, stat, unlink } from "node:fs/promises";
import { abortableDelay } from "./delay";

const POLL_MS = 250;

export interface PidLockOptions {
  /** Waiting ends when it aborts, with `onAbort`'s error. */
  signal?: AbortSignal;
  onAbort?: () => Error;
  /** Told once, when the lock is held by another process. */
  onWait?: () => void;
  /** A holder whose lock (and activity file) is older than this is gone, even if its pid now names another process. */
  silentMs: number;
  /** A file the holder writes as it works: its changes count as signs of life. */
  activityFile?: string;
}

export async function withPidLock<T>(lock: string, options: PidLockOptions, task: () => Promise<T>): Promise<T> {
  let announced = false;
  for (;;) {
    try {
      const handle = await open(lock, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      if (await isStale(lock, options)) {
        await unlink(lock).catch(() => undefined);
        continue;
      }
      if (!announced) options.onWait?.();
      announced = true;
      if (!(await abortableDelay(POLL_MS, options.signal))) throw options.onAbort?.() ?? new Error("cancelled");
    }
  }
  try {
    return await task();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}

/** A lock whose process is gone; an empty one (its holder died between open and write) once it is old; or a silent one. */
async function isStale(lock: string, { silentMs, activityFile }: PidLockOptions): Promise<boolean> {
  const text = (await readFile(lock, "utf8").catch(() => undefined))?.trim();
  if (text === undefined) return true;
  const age = (file: string) => stat(file).then((s) => Date.now() - s.mtimeMs, () => Infinity);
  if (text === "") return (await age(lock)) > 10_000;
  if (!isAlive(Number(text))) return true;
  return Math.min(await age(lock), activityFile ? await age(activityFile) : Infinity) > silentMs;
}

/** Whether a process with this pid runs (one of another user's counts). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
