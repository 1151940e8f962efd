// Pulling files of one repository revision into the Hugging Face cache: resolve the commit, pick
// the files, check the disk, fetch the blobs a few at a time, then link them into the snapshot.
import { mkdir, stat } from "node:fs/promises";
import path from "node:path";
import { downloadBlob } from "./blobDownload";
import { ensureFreeSpace } from "./diskSpace";
import { repoCacheDir } from "./hfCache";
import { resolveRepo, type RemoteFile } from "./hubClient";
import type { HubSettings } from "./hubSettings";
import { DEFAULT_RETRY, type RetryPolicy } from "./retry";
import { checkInsideCache } from "./cachePaths";
import { linkIntoSnapshot, writeRef } from "./snapshot";
import { TransferProgress, type PullProgress } from "./transferProgress";

export interface PullOptions {
  signal?: AbortSignal;
  onProgress?: (progress: PullProgress) => void;
  retry?: RetryPolicy;
  /** Default 30 s. */
  stallMs?: number;
  /** Files fetched at once; default 3. */
  concurrency?: number;
}

export interface PulledFiles {
  commit: string;
  snapshot: string;
  /** The pulled files' paths in the snapshot, in the order asked. */
  paths: string[];
}

/** Files that name a model folder as whole; linked last so a half-linked folder never looks ready. */
const COMPLETION_MARKERS = new Set(["genai_config.json"]);

export async function pullRepoFiles(
  settings: HubSettings,
  repo: string,
  revision: string,
  pick: (files: RemoteFile[]) => RemoteFile[],
  options: PullOptions = {},
): Promise<PulledFiles> {
  const emit = options.onProgress ?? (() => undefined);
  emit({ phase: "resolving", repo, fileIndex: 0, fileCount: 0, bytesDone: 0, bytesTotal: 0, bytesPerSecond: 0, etaSeconds: null });
  const policy = options.retry ?? DEFAULT_RETRY;
  const remote = await resolveRepo(settings, repo, revision, options.signal, policy);
  const files = pick(remote.files);
  const repoDir = repoCacheDir(settings.cacheDir, repo);
  const blobsDir = path.join(repoDir, "blobs");
  const snapshot = path.join(repoDir, "snapshots", remote.commit);

  await mkdir(blobsDir, { recursive: true });
  await checkInsideCache(settings.cacheDir, blobsDir);
  const needed = await Promise.all(files.map(async (f) => f.size - (await partialBytes(blobsDir, f))));
  await ensureFreeSpace(settings.cacheDir, needed.reduce((a, b) => a + b, 0), `${repo} (${files.length} file${files.length === 1 ? "" : "s"})`);

  const total = files.reduce((sum, f) => sum + f.size, 0);
  const progress = new TransferProgress(repo, total, files.length, emit);
  // One file failing for good stops the others (their partial files stay for the next pull).
  const failed = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, failed.signal]) : failed.signal;
  const blobs = await mapLimit(files, options.concurrency ?? 3, () => failed.abort(), (file, index) =>
    downloadBlob({
      settings,
      repo,
      commit: remote.commit,
      file,
      blobsDir,
      signal,
      policy,
      stallMs: options.stallMs ?? 30_000,
      onBytes: (bytes, fresh) => progress.add(bytes, file.path, index + 1, fresh),
      onWait: () => progress.note("waiting", `another Squeeze process is downloading ${file.path}; waiting for it`),
      onRetry: (err, delay) => progress.note("retrying", `${err.message}; retrying in ${(delay / 1000).toFixed(1)} s`),
    }),
  );

  const order = files.map((_, i) => i).sort((a, b) => Number(COMPLETION_MARKERS.has(path.posix.basename(files[a].path))) - Number(COMPLETION_MARKERS.has(path.posix.basename(files[b].path))));
  for (const i of order) await linkIntoSnapshot(settings.cacheDir, snapshot, files[i].path, blobs[i]);
  await writeRef(repoDir, revision, remote.commit);
  progress.note("done");
  return { commit: remote.commit, snapshot, paths: files.map((f) => path.join(snapshot, f.path)) };
}

async function partialBytes(blobsDir: string, file: RemoteFile): Promise<number> {
  const blob = await stat(path.join(blobsDir, file.etag)).catch(() => undefined);
  if (blob?.size === file.size) return file.size;
  const partial = await stat(path.join(blobsDir, `${file.etag}.incomplete`)).catch(() => undefined);
  return Math.min(partial?.size ?? 0, file.size);
}

/** Runs `task` over `items`, at most `limit` at once; the first failure calls `onFailure` and is thrown once all settle. */
async function mapLimit<T, R>(items: T[], limit: number, onFailure: () => void, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < items.length && failure === undefined) {
      const index = next++;
      try {
        results[index] = await task(items[index], index);
      } catch (err) {
        if (failure === undefined) {
          failure = err;
          onFailure();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
  return results;
}
