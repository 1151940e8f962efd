// Free space where a download will land, checked before any byte is fetched.
import { statfs } from "node:fs/promises";
import path from "node:path";
import { StoreError } from "./storeError";

/** Bytes available to this user on the file system holding `dir` (or its nearest existing parent). */
export async function freeBytes(dir: string): Promise<number> {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    try {
      const fs = await statfs(current);
      return fs.bavail * fs.bsize;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" || path.dirname(current) === current) throw err;
    }
  }
}

/** Headroom left free so a download never fills the disk to the last byte. */
export const DISK_MARGIN_BYTES = 256 * 1024 * 1024;

export async function ensureFreeSpace(dir: string, needed: number, what: string): Promise<void> {
  if (needed <= 0) return;
  const free = await freeBytes(dir);
  if (free < needed + DISK_MARGIN_BYTES) {
    throw new StoreError(
      "insufficient_space",
      `not enough disk space for ${what}: it needs ${formatBytes(needed)} (plus ${formatBytes(DISK_MARGIN_BYTES)} to spare) ` +
        `and ${formatBytes(free)} is free on the disk holding ${dir}. Free some space, or set HF_HUB_CACHE to a folder on a larger disk`,
    );
  }
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : value < 10 ? 2 : 1)} ${units[unit]}`;
}
