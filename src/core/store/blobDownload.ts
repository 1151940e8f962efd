// One file from the hub into the cache's blobs folder: streamed to `<blob>.incomplete`, resumed
// from what is already there, hashed on the way, checked against the hub's hash, and renamed into
// place only when right. The cache never holds a blob that did not pass the check.
import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import { lstat, mkdir, rename, stat, truncate, unlink } from "node:fs/promises";
import path from "node:path";
import { downloadFile } from "@huggingface/hub";
import { hubError, hubFetch, type FailedAnswer, type RemoteFile } from "./hubClient";
import { OffThreadHash } from "./offThreadHash";
import type { HubSettings } from "./hubSettings";
import { withPidLock } from "../util/pidLock";
import { cancelled, withRetry, type RetryPolicy } from "./retry";
import { StoreError } from "./storeError";

export interface BlobJob {
  settings: HubSettings;
  repo: string;
  commit: string;
  file: RemoteFile;
  blobsDir: string;
  signal?: AbortSignal;
  policy: RetryPolicy;
  /** A connection that sends nothing for this long is dropped and the download resumed. */
  stallMs: number;
  /** Bytes done: `fresh` for bytes just received, not for those found on disk. */
  onBytes(bytes: number, fresh: boolean): void;
  /** Another process is writing this blob; this one waits for it. */
  onWait?(): void;
  onRetry?(err: StoreError, delayMs: number): void;
}

export async function downloadBlob(job: BlobJob): Promise<string> {
  const blobPath = path.join(job.blobsDir, job.file.etag);
  if (await hasSize(blobPath, job.file.size)) {
    job.onBytes(job.file.size, false);
    return blobPath;
  }
  await mkdir(job.blobsDir, { recursive: true });
  // One writer per blob; a writer that has not written for minutes is gone (its pid reused).
  const lock = { signal: job.signal, onAbort: cancelled, onWait: () => job.onWait?.(), silentMs: 5 * 60_000, activityFile: `${blobPath}.incomplete` };
  return withPidLock(`${blobPath}.lock`, lock, async () => {
    // The process we waited for may have finished it.
    if (await hasSize(blobPath, job.file.size)) {
      job.onBytes(job.file.size, false);
      return blobPath;
    }
    const transfer = new Transfer(job, `${blobPath}.incomplete`);
    try {
      await withRetry(() => transfer.attempt(), job.policy, job.signal, job.onRetry);
    } finally {
      transfer.dispose();
    }
    await rename(transfer.incomplete, blobPath);
    return blobPath;
  });
}

/** The state kept across attempts: how much of the partial file is already hashed. */
class Transfer {
  private hash: OffThreadHash | undefined;
  private hashed = 0;
  private reported = 0;
  private mismatches = 0;

  constructor(private readonly job: BlobJob, readonly incomplete: string) {}

  async attempt(): Promise<void> {
    const { file } = this.job;
    let offset = (await stat(this.incomplete).catch(() => undefined))?.size ?? 0;
    if (offset > file.size) {
      await truncate(this.incomplete, 0);
      offset = 0;
    }
    if (!this.hash || this.hashed !== offset) await this.hashFromDisk(offset);
    this.report(offset, false);
    if (offset < file.size) await this.fetchFrom(offset);
    await this.verify();
  }

  private async fetchFrom(offset: number): Promise<void> {
    const { job } = this;
    const stall = new AbortController();
    const signal = job.signal ? AbortSignal.any([job.signal, stall.signal]) : stall.signal;
    const seen: { failed?: FailedAnswer } = {};
    const out = createWriteStream(this.incomplete, { flags: "a", highWaterMark: 4 << 20 });
    // A write can fail while the download waits on the network (a full disk): listened for from
    // the start, it stops the download and is what the pull reports.
    let writeError: NodeJS.ErrnoException | undefined;
    out.on("error", (err) => {
      writeError ??= err;
      stall.abort();
    });
    // One timer checking the time of the last chunk, not a timer re-armed per chunk.
    let lastData = Date.now();
    const timer = setInterval(() => Date.now() - lastData >= job.stallMs && stall.abort(), Math.max(10, job.stallMs / 4));
    try {
      const blob = await downloadFile({
        repo: job.repo,
        path: job.file.path,
        revision: job.commit,
        hubUrl: job.settings.endpoint,
        accessToken: job.settings.token,
        fetch: hubFetch(signal, seen),
        xet: false,
      });
      if (!blob) throw new StoreError("not_found", `${job.file.path} is no longer in ${job.repo}@${job.commit}`);
      if (blob.size !== job.file.size) {
        throw new StoreError("invalid_response", `the hub serves ${job.file.path} with ${blob.size} bytes, not the ${job.file.size} it listed`);
      }
      let received = offset;
      for await (const chunk of blob.slice(offset).stream() as unknown as AsyncIterable<Uint8Array>) {
        lastData = Date.now();
        received += chunk.byteLength;
        if (received > job.file.size) throw new StoreError("invalid_response", `the hub sent more of ${job.file.path} than its ${job.file.size} bytes`, true);
        this.hash!.update(chunk);
        this.hashed = received;
        // A write error rejects this wait; the stream's own listener has recorded it.
        if (!out.write(chunk)) await once(out, "drain").catch(() => undefined);
        this.report(received, true);
      }
      // Everything written reaches the file (or fails) before the download counts as whole.
      await closeStream(out);
      if (writeError) throw writeError;
      if (received < job.file.size) throw new StoreError("network", `the connection ended ${job.file.size - received} bytes short of ${job.file.path}`, true);
    } catch (err) {
      if (writeError) throw writeFailed(writeError, job.file.path);
      if (stall.signal.aborted && !job.signal?.aborted) {
        throw new StoreError("network", `no data arrived for ${job.stallMs / 1000} s while downloading ${job.file.path}`, true);
      }
      throw hubError(err, seen.failed, job.signal, `${job.repo}/${job.file.path}`, job.settings);
    } finally {
      clearInterval(timer);
      await closeStream(out);
    }
  }

  dispose(): void {
    this.hash?.dispose();
    this.hash = undefined;
  }

  private async verify(): Promise<void> {
    const { file } = this.job;
    const actual = await this.hash!.digest();
    this.dispose();
    if (actual === file.hash.hex) return;
    await unlink(this.incomplete).catch(() => undefined);
    this.hashed = 0;
    this.mismatches++;
    // Once may be a flaky proxy; twice means the hub serves bytes that do not match its own hash.
    throw new StoreError(
      "checksum_mismatch",
      `${file.path} from ${this.job.repo} did not match its ${file.hash.algorithm === "sha256" ? "SHA-256" : "git hash"} ` +
        `(expected ${file.hash.hex}, got ${actual}); the corrupt download was deleted`,
      this.mismatches < 2,
    );
  }

  private async hashFromDisk(bytes: number): Promise<void> {
    const { file } = this.job;
    this.dispose();
    const hash = file.hash.algorithm === "sha256" ? new OffThreadHash("sha256") : new OffThreadHash("sha1", `blob ${file.size}\0`);
    this.hash = hash;
    if (bytes > 0) await hash.updateFromFile(this.incomplete, bytes);
    this.hashed = bytes;
  }

  private report(total: number, fresh: boolean): void {
    if (total !== this.reported) this.job.onBytes(total - this.reported, fresh);
    this.reported = total;
  }
}

/** A whole blob is a plain file: a link in its place is not taken for one (it is replaced). */
async function hasSize(file: string, size: number): Promise<boolean> {
  const info = await lstat(file).catch(() => undefined);
  return info?.isFile() === true && info.size === size;
}

function writeFailed(err: NodeJS.ErrnoException, file: string): StoreError {
  if (err.code === "ENOSPC" || err.code === "EDQUOT") {
    return new StoreError("insufficient_space", `the disk filled up while downloading ${file}; free some space and pull again (the part downloaded is kept)`);
  }
  return new StoreError("write_failed", `could not write ${file} to the cache: ${err.message}`);
}

async function closeStream(out: WriteStream): Promise<void> {
  if (out.closed) return;
  const closed = once(out, "close");
  out.end();
  await closed.catch(() => undefined);
}
