// Which model files this process has in a native runtime right now, kept in a small file per
// process. When the process dies of an abort, the file outlives it and says which model was being
// loaded or run, so that whoever starts the server again can remember that model as bad
// (ModelProofs.condemn) instead of loading it into the next process too.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { configDir } from "../util/configDir";
import type { LoadSpec } from "../protocol/types";

export interface ModelInUse {
  /** ModelProofs' key for the file as loaded. */
  key: string;
  id: string;
  path: string;
  /** Still loading (as opposed to loaded and serving). */
  loading: boolean;
}

const entries = new Map<number, ModelInUse>();
let next = 0;

export function inUseFile(pid: number, dir = configDir()): string {
  return path.join(dir, "in-use", `${pid}.json`);
}

/** Marks `spec` as loading in this process; the returned handle marks it loaded, then released. */
export function trackInUse(spec: LoadSpec, key: string): { loaded(): void; release(): void } {
  const handle = next++;
  entries.set(handle, { key, id: spec.id, path: spec.path, loading: true });
  write();
  return {
    loaded: () => {
      const entry = entries.get(handle);
      if (entry) entry.loading = false;
      write();
    },
    release: () => {
      if (entries.delete(handle)) write();
    },
  };
}

/** What a process (alive or not) last said it had in use; empty when it said nothing or left cleanly. */
export function readInUse(pid: number, dir = configDir()): ModelInUse[] {
  try {
    const parsed: unknown = JSON.parse(readFileSync(inUseFile(pid, dir), "utf8"));
    return Array.isArray(parsed) ? (parsed as ModelInUse[]) : [];
  } catch {
    return [];
  }
}

/** Forgets a dead process's file once it has been read. */
export function forgetInUse(pid: number, dir = configDir()): void {
  rmSync(inUseFile(pid, dir), { force: true });
}

function write(): void {
  const file = inUseFile(process.pid);
  try {
    if (entries.size === 0) return rmSync(file, { force: true });
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify([...entries.values()]), { mode: 0o600 });
  } catch {
    // Not kept: a crash then blames no model, as before this file existed.
  }
}
