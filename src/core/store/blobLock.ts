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
      if (await isStale(lock)) {
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

/** A lock whose process is gone; an empty one (its writer died between open and write) once it is old. */
async function isStale(lock: string): Promise<boolean> {
  const text = (await readFile(lock, "utf8").catch(() => undefined))?.trim();
  if (text === undefined) return true;
  if (text === "") return Date.now() - ((await stat(lock).catch(() => undefined))?.mtimeMs ?? 0) > 10_000;
  return !isAlive(Number(text));
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
