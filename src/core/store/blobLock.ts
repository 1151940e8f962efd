// One writer per blob across processes (the CLI and a server may pull the same model at once):
// a lock file beside the blob holding the writer's pid. A lock whose process is gone is stale
// and taken over; a live one is waited for.
import { open, readFile, stat, unlink } from "node:fs/promises";
import { sleep } from "./retry";

const POLL_MS = 250;

export async function withBlobLock<T>(blobPath: string, signal: AbortSignal | undefined, onWait: () => void, task: () => Promise<T>): Promise<T> {
  const lock = `${blobPath}.lock`;
  let announced = false;
  for (;;) {
    try {
      const handle = await open(lock, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      if (await isStale(lock, `${blobPath}.incomplete`)) {
        await unlink(lock).catch(() => undefined);
        continue;
      }
      if (!announced) onWait();
      announced = true;
      await sleep(POLL_MS, signal);
    }
  }
  try {
    return await task();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}

/** A writer that has not written for this long is gone, even if its pid now names another process. */
const SILENT_MS = 5 * 60_000;

/**
 * A lock whose process is gone; an empty one (its writer died between open and write) once it
 * is old; or one whose download has not grown for minutes (the pid was reused).
 */
async function isStale(lock: string, incomplete: string): Promise<boolean> {
  const text = (await readFile(lock, "utf8").catch(() => undefined))?.trim();
  if (text === undefined) return true;
  const age = (file: string) => stat(file).then((s) => Date.now() - s.mtimeMs, () => Infinity);
  if (text === "") return (await age(lock)) > 10_000;
  if (!isAlive(Number(text))) return true;
  return Math.min(await age(lock), await age(incomplete)) > SILENT_MS;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
