// Hashing downloads on another thread. SHA-256 runs at about 1.2 GB/s on one core, so on the main
// thread it would cap a fast download and keep the server's event loop busy for a second per GB;
// on a worker it overlaps with receiving and writing.
import { Worker } from "node:worker_threads";

/** Plain JavaScript, so the same code runs under tsx, from the bundle and in the extension host. */
const SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const hash = createHash(workerData.algorithm);
if (workerData.prefix) hash.update(workerData.prefix);
parentPort.on("message", (m) => {
  if (m.op === "data") return void hash.update(new Uint8Array(m.buffer));
  if (m.op === "file") {
    const fd = fs.openSync(m.path, "r");
    const buffer = Buffer.allocUnsafe(4 << 20);
    let at = 0;
    try {
      while (at < m.bytes) {
        const n = fs.readSync(fd, buffer, 0, Math.min(buffer.length, m.bytes - at), at);
        if (n === 0) break;
        hash.update(buffer.subarray(0, n));
        at += n;
      }
    } finally {
      fs.closeSync(fd);
    }
    return void parentPort.postMessage({ op: "file", bytes: at });
  }
  if (m.op === "digest") parentPort.postMessage({ op: "digest", hex: hash.digest("hex") });
});
`;

/** Chunks are gathered into batches of this size, copied once and handed over without another copy. */
const BATCH_BYTES = 1 << 20;

export class OffThreadHash {
  private readonly worker: Worker;
  private batch: Uint8Array[] = [];
  private batched = 0;
  private failure: Error | undefined;

  /** `prefix` is hashed first (git's "blob <size>\\0" header). */
  constructor(algorithm: "sha256" | "sha1", prefix?: string) {
    this.worker = new Worker(SOURCE, { eval: true, workerData: { algorithm, prefix } });
    this.worker.on("error", (err) => (this.failure = err));
    // A hash that is never finished must not keep the process alive.
    this.worker.unref();
  }

  update(chunk: Uint8Array): void {
    this.batch.push(chunk);
    this.batched += chunk.byteLength;
    if (this.batched >= BATCH_BYTES) this.flush();
  }

  /** Hashes the first `bytes` of a file, read on the worker. */
  async updateFromFile(file: string, bytes: number): Promise<void> {
    this.flush();
    this.worker.postMessage({ op: "file", path: file, bytes });
    const reply = (await this.reply("file")) as { bytes: number };
    if (reply.bytes !== bytes) throw new Error(`${file} has ${reply.bytes} bytes, not ${bytes}`);
  }

  async digest(): Promise<string> {
    this.flush();
    this.worker.postMessage({ op: "digest" });
    return ((await this.reply("digest")) as { hex: string }).hex;
  }

  dispose(): void {
    void this.worker.terminate();
  }

  private flush(): void {
    if (this.batched === 0) return;
    const joined = Buffer.concat(this.batch, this.batched);
    this.batch = [];
    this.batched = 0;
    // A Buffer this large owns its whole ArrayBuffer (only small ones share the pool), so it moves without a copy.
    const whole = joined.byteOffset === 0 && joined.byteLength === joined.buffer.byteLength;
    const buffer = whole ? joined.buffer : joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength);
    this.worker.postMessage({ op: "data", buffer }, [buffer]);
  }

  private reply(op: string): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const worker = this.worker;
    worker.ref();
    return new Promise((resolve, reject) => {
      const finish = () => {
        worker.off("message", onMessage).off("error", onError).off("exit", onExit);
        worker.unref();
      };
      const onMessage = (message: { op: string }) => {
        if (message.op !== op) return;
        finish();
        resolve(message);
      };
      const onError = (err: Error) => {
        finish();
        reject(err);
      };
      const onExit = () => onError(new Error("the hashing thread stopped"));
      worker.on("message", onMessage).on("error", onError).on("exit", onExit);
    });
  }
}
