// Downloads from a local stand-in for the Hugging Face Hub (test/helpers/localHub.ts), through
// the real @huggingface/hub client, into a real Hugging Face cache layout.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ModelStore } from "../../src/core/store/modelStore";
import { checkModelId, checkRepoFile, checkRepoId } from "../../src/core/store/names";
import type { RetryPolicy } from "../../src/core/store/retry";
import { StoreError } from "../../src/core/store/storeError";
import { pickVariantForMachine } from "../../src/core/selection/pickVariant";
import type { PullProgress } from "../../src/core/store/transferProgress";
import { LocalHub } from "../helpers/localHub";
import { TINY, TINY_ONNX } from "../helpers/paths";

const FAST: RetryPolicy = { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 };
const TOKEN = "hf_testtoken0123456789";
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

async function rejectsWith(promise: Promise<unknown>, code: StoreError["code"], message?: RegExp): Promise<StoreError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof StoreError, `expected a StoreError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected a ${code} error`);
}

describe("pulling models from the hub", function () {
  this.timeout(120_000);
  let hub: LocalHub;
  let hubUrl: string;
  let dir: string;
  let cacheDir: string;
  const big = randomBytes(8 * 1024 * 1024);

  const storeWith = (settings: { token?: string; offline?: boolean } = {}) =>
    new ModelStore({ endpoint: hubUrl, cacheDir, offline: false, ...settings }, path.join(dir, "models.json"), pickVariantForMachine);

  before(async () => {
    hub = new LocalHub({ token: TOKEN });
    hubUrl = await hub.start();
  });
  after(() => hub.close());
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "squeeze-pull-"));
    cacheDir = path.join(dir, "hub");
    hub.clearFaults();
    hub.requests.length = 0;
    hub.addRepo({
      id: "test/Tiny-GGUF",
      files: [
        { path: "tiny-q8_0.gguf", file: TINY },
        { path: "big-q4_k_m.gguf", content: big },
        { path: "README.md", content: Buffer.from("# tiny\n") },
      ],
    });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const blobOf = (repo: string, sha: string) => path.join(cacheDir, `models--${repo.replace("/", "--")}`, "blobs", sha);
  /** Where each GET of the big file's bytes started (the client's size probe, bytes=0-0, left out). */
  const rangeStarts = () =>
    hub.requests
      .filter((r) => r.method === "GET" && r.url.includes(`/cdn-lfs/${sha256(big)}`) && r.range !== "bytes=0-0")
      .map((r) => Number(/bytes=(\d+)-/.exec(r.range ?? "bytes=0-")![1]));

  it("puts a GGUF in the Hugging Face layout: blob by SHA-256, snapshot link, refs/main", async function () {
    const events: PullProgress[] = [];
    const model = await storeWith().pull("hf.co/test/Tiny-GGUF:Q8_0", { onProgress: (p) => events.push(p) });
    const commit = hub.commit("test/Tiny-GGUF");
    const repoDir = path.join(cacheDir, "models--test--Tiny-GGUF");
    const link = path.join(repoDir, "snapshots", commit, "tiny-q8_0.gguf");
    assert.equal(model.path, link);
    assert.equal((await readFile(path.join(repoDir, "refs", "main"), "utf8")).trim(), commit);
    assert.ok((await lstat(link)).isSymbolicLink());
    assert.equal(path.resolve(path.dirname(link), await readlink(link)), blobOf("test/Tiny-GGUF", hub.sha256("test/Tiny-GGUF", "tiny-q8_0.gguf")));
    assert.deepEqual(await readFile(link), await readFile(TINY));
    assert.equal(model.sizeBytes, (await stat(TINY)).size);
    // Only the quantisation asked for was fetched.
    assert.ok(!hub.requests.some((r) => r.url.includes("big-q4_k_m")), "the other GGUF was not downloaded");
    const last = events.at(-1)!;
    assert.equal(last.phase, "done");
    assert.equal(last.bytesDone, last.bytesTotal);
    assert.ok(events.some((e) => e.phase === "resolving"));

    const listed = await storeWith().list();
    assert.deepEqual(listed.map((m) => m.id), ["hf.co/test/Tiny-GGUF:Q8_0"]);
  });

  it("resumes after the connection is cut at 20 random offsets and ends with the right SHA-256", async function () {
    const offsets = [...new Set(Array.from({ length: 20 }, () => 1 + Math.floor(Math.random() * (big.length - 2))))].sort((a, b) => a - b);
    for (const atOffset of offsets) hub.inject({ kind: "cut", path: "big-q4_k_m.gguf", atOffset });
    const model = await storeWith().pull("hf.co/test/Tiny-GGUF:Q4_K_M", { retry: { attempts: 30, baseDelayMs: 1, maxDelayMs: 5 } });
    assert.equal(sha256(await readFile(model.path)), sha256(big));
    const starts = rangeStarts();
    assert.equal(starts.length, offsets.length + 1, "one request per cut, plus the last");
    // Every retry continued from where the previous one stopped, never from zero.
    assert.deepEqual(starts.slice(1), offsets);
  });

  it("refuses corrupted bytes, deletes them, and lists nothing", async function () {
    hub.inject({ kind: "corrupt", path: "big-q4_k_m.gguf", atOffset: 12345 });
    await rejectsWith(storeWith().pull("hf.co/test/Tiny-GGUF:Q4_K_M", { retry: FAST }), "checksum_mismatch", /did not match its SHA-256/);
    assert.deepEqual(await storeWith().list(), []);
    const blobs = await readdir(path.dirname(blobOf("test/Tiny-GGUF", "x"))).catch(() => []);
    assert.deepEqual(blobs, [], "neither a blob nor a partial file is left");
    // One corrupted answer (a flaky proxy) is retried from scratch and succeeds.
    hub.clearFaults();
    hub.inject({ kind: "corrupt", path: "big-q4_k_m.gguf", atOffset: 99, times: 1 });
    const model = await storeWith().pull("hf.co/test/Tiny-GGUF:Q4_K_M", { retry: FAST });
    assert.equal(sha256(await readFile(model.path)), sha256(big));
  });

  it("gives clear errors for 401, 404, 429 and 5xx, retrying only what may pass", async function () {
    hub.addRepo({ id: "test/Gated-GGUF", gated: true, files: [{ path: "g-q4_k_m.gguf", file: TINY }] });
    await rejectsWith(storeWith().pull("hf.co/test/Gated-GGUF"), "unauthorized", /gated or private.*HF_TOKEN/);
    const withToken = await storeWith({ token: TOKEN }).pull("hf.co/test/Gated-GGUF");
    assert.equal(sha256(await readFile(withToken.path)), sha256(await readFile(TINY)));
    await rejectsWith(storeWith({ token: "hf_wrong" }).pull("hf.co/test/Gated-GGUF:Q8_0"), "unauthorized", /token .* was not accepted/);

    await rejectsWith(storeWith().pull("hf.co/test/Missing-GGUF"), "not_found", /test\/Missing-GGUF.*not found.*404/);
    await rejectsWith(storeWith().pull("hf.co/test/Tiny-GGUF:Q5_K_S"), "not_found", /no Q5_K_S GGUF; it offers Q4_K_M, Q8_0/);

    hub.inject({ kind: "status", status: 429, times: 2, retryAfter: 0, path: "tiny-q8_0.gguf" });
    await storeWith().pull("hf.co/test/Tiny-GGUF:Q8_0", { retry: FAST });
    await rm(cacheDir, { recursive: true });
    hub.inject({ kind: "status", status: 429, times: 10, retryAfter: 0, path: "tiny-q8_0.gguf" });
    await rejectsWith(storeWith().pull("hf.co/test/Tiny-GGUF:Q8_0", { retry: FAST }), "rate_limited", /rate-limiting/);
    hub.clearFaults();
    hub.inject({ kind: "status", status: 503, times: 10, apiToo: true });
    await rejectsWith(storeWith().pull("hf.co/test/Tiny-GGUF:Q8_0", { retry: FAST }), "server_error", /failed with 503/);
    hub.clearFaults();
    await rejectsWith(
      new ModelStore({ endpoint: "http://127.0.0.1:9", cacheDir, offline: false }, path.join(dir, "m.json"), pickVariantForMachine).pull("hf.co/test/Tiny-GGUF:Q8_0", { retry: FAST }),
      "network",
      /could not reach http:\/\/127.0.0.1:9.*HF_HUB_OFFLINE/,
    );
    assert.deepEqual(await storeWith().list(), []);
  });

  it("refuses before downloading when the disk is too small", async function () {
    hub.addRepo({ id: "test/Huge-GGUF", files: [{ path: "huge-q4_k_m.gguf", content: Buffer.from("GGUF"), declaredSize: 1e15 }] });
    await rejectsWith(storeWith().pull("hf.co/test/Huge-GGUF"), "insufficient_space", /needs 1000.0 TB .* free/);
    assert.ok(!hub.requests.some((r) => r.url.includes("/resolve/")), "no file was requested");
  });

  it("cancels without listing anything partial, and a later pull resumes", async function () {
    hub.inject({ kind: "slow", bytesPerSecond: 2 * 1024 * 1024, path: "big-q4_k_m.gguf" });
    const cancel = new AbortController();
    const pulling = storeWith().pull("hf.co/test/Tiny-GGUF:Q4_K_M", {
      signal: cancel.signal,
      onProgress: (p) => p.bytesDone > 1024 * 1024 && cancel.abort(),
    });
    await rejectsWith(pulling, "cancelled", /pulling again resumes/);
    assert.deepEqual(await storeWith().list(), []);
    const partial = `${blobOf("test/Tiny-GGUF", sha256(big))}.incomplete`;
    const kept = (await stat(partial)).size;
    assert.ok(kept > 0 && kept < big.length, `partial file of ${kept} bytes`);

    hub.clearFaults();
    hub.requests.length = 0;
    const model = await storeWith().pull("hf.co/test/Tiny-GGUF:Q4_K_M");
    assert.equal(sha256(await readFile(model.path)), sha256(big));
    assert.deepEqual(rangeStarts(), [kept], "the second pull asked only for the rest");
  });

  it("fails a pull whose disk fills up while it waits on the network, and frees its lock", async function () {
    // A real ENOSPC from the kernel: the download's partial file is /dev/full.
    if (process.platform !== "linux") this.skip();
    const partial = `${blobOf("test/Tiny-GGUF", sha256(big))}.incomplete`;
    await mkdir(path.dirname(partial), { recursive: true });
    await symlink("/dev/full", partial);
    hub.inject({ kind: "slow", bytesPerSecond: 4 * 1024 * 1024, path: "big-q4_k_m.gguf" });
    await rejectsWith(storeWith().pull("hf.co/test/Tiny-GGUF:Q4_K_M", { retry: FAST }), "insufficient_space", /the disk filled up while downloading big-q4_k_m\.gguf; free some space and pull again/);
    assert.deepEqual(await storeWith().list(), []);

    await rm(partial);
    hub.clearFaults();
    const model = await storeWith().pull("hf.co/test/Tiny-GGUF:Q4_K_M");
    assert.equal(sha256(await readFile(model.path)), sha256(big), "the lock was freed: the next pull ran");
  });

  it("drops a stalled connection and resumes", async function () {
    hub.inject({ kind: "stall", path: "big-q4_k_m.gguf", afterBytes: 3 * 1024 * 1024 });
    const model = await storeWith().pull("hf.co/test/Tiny-GGUF:Q4_K_M", { stallMs: 300, retry: FAST });
    assert.equal(sha256(await readFile(model.path)), sha256(big));
    assert.equal(rangeStarts().length, 2);
  });

  it("lets two pulls of one file run at once without mixing their bytes", async function () {
    const [a, b] = await Promise.all([storeWith().pull("hf.co/test/Tiny-GGUF:Q4_K_M"), storeWith().pull("hf.co/test/Tiny-GGUF:Q4_K_M")]);
    assert.equal(a.path, b.path);
    assert.equal(sha256(await readFile(a.path)), sha256(big));
  });

  it("takes over the lock of a download whose process is gone", async function () {
    const blob = blobOf("test/Tiny-GGUF", sha256(big));
    await mkdir(path.dirname(blob), { recursive: true });
    await writeFile(`${blob}.lock`, "2147483646"); // no such process
    const model = await storeWith().pull("hf.co/test/Tiny-GGUF:Q4_K_M");
    assert.equal(sha256(await readFile(model.path)), sha256(big));
    // A live pid (reused by an unrelated process) whose download has been silent for minutes is stale too.
    await storeWith().remove("hf.co/test/Tiny-GGUF:Q4_K_M");
    await mkdir(path.dirname(blob), { recursive: true });
    await writeFile(`${blob}.lock`, String(process.pid));
    const old = new Date(Date.now() - 10 * 60_000);
    await utimes(`${blob}.lock`, old, old);
    await storeWith().pull("hf.co/test/Tiny-GGUF:Q4_K_M");
    assert.deepEqual((await readdir(path.dirname(blob))).sort(), [sha256(big)], "no lock is left behind");
  });

  it("answers from the cache in offline mode, and says what is missing", async function () {
    await rejectsWith(storeWith({ offline: true }).pull("hf.co/test/Tiny-GGUF:Q8_0"), "offline", /HF_HUB_OFFLINE/);
    await storeWith().pull("hf.co/test/Tiny-GGUF:Q8_0");
    hub.requests.length = 0;
    const model = await storeWith({ offline: true }).pull("hf.co/test/Tiny-GGUF:Q8_0");
    assert.ok(model.path.endsWith("tiny-q8_0.gguf"));
    assert.equal(hub.requests.length, 0);
  });

  it("pulls catalog variants (a GGUF and an ONNX folder) and deletes one without the other", async function () {
    hub.addRepo({ id: "Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF", files: [{ path: "qwen2.5-coder-0.5b-instruct-q8_0.gguf", file: TINY }] });
    const onnxFiles = await readdir(TINY_ONNX);
    hub.addRepo({ id: "amd/Qwen2.5-0.5B-Instruct-quantized_int4-float16-cpu-onnx", files: onnxFiles.map((f) => ({ path: f, file: path.join(TINY_ONNX, f) })) });
    const gguf = await storeWith().pull("qwen2.5-coder-0.5b-instruct:q8_0");
    assert.equal(gguf.backend, "llama.cpp");
    const onnx = await storeWith().pull("qwen2.5-0.5b-instruct:cpu");
    assert.equal(onnx.backend, "onnx");
    assert.deepEqual((await readdir(onnx.path)).sort(), onnxFiles.sort());
    const ids = (await storeWith().list()).map((m) => m.id);
    assert.deepEqual(ids, ["qwen2.5-0.5b-instruct:cpu", "qwen2.5-coder-0.5b-instruct:q8_0"]);
    // Deleting one leaves the other; the repo folder goes with its last file.
    await storeWith().remove("qwen2.5-coder-0.5b-instruct");
    assert.deepEqual((await storeWith().list()).map((m) => m.id), ["qwen2.5-0.5b-instruct:cpu"]);
    assert.ok(!(await readdir(cacheDir)).includes("models--Qwen--Qwen2.5-Coder-0.5B-Instruct-GGUF"));
    await rejectsWith(storeWith().remove("qwen2.5-coder-0.5b-instruct:q8_0"), "not_found", /not downloaded/);
    await rejectsWith(storeWith().pull("qwen2.5-3b-instruct:flm"), "invalid_name", /flm pull/);
  });

  it("pulls the variant the hardware selection picks when only the model is named", async function () {
    hub.addRepo({
      id: "Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF",
      files: ["q4_k_m", "q8_0"].map((q) => ({ path: `qwen2.5-coder-0.5b-instruct-${q}.gguf`, file: TINY })),
    });
    const catalogModel = (await storeWith().catalogEntries()).find((e) => e.model.id === "qwen2.5-coder-0.5b-instruct")!.model;
    const expected = await pickVariantForMachine(catalogModel);
    const reasons: string[] = [];
    const model = await storeWith().pull("qwen2.5-coder-0.5b-instruct", { onChoice: (why) => reasons.push(why) });
    assert.equal(model.id, `qwen2.5-coder-0.5b-instruct:${expected.variant.id}`);
    assert.deepEqual(reasons, [expected.why]);
  });

  it("keeps blobs another snapshot still links when deleting", async function () {
    await storeWith().pull("hf.co/test/Tiny-GGUF:Q8_0");
    // Another tool's snapshot of another commit links the same blob.
    const other = path.join(cacheDir, "models--test--Tiny-GGUF", "snapshots", "f".repeat(40));
    await mkdir(other, { recursive: true });
    const blob = blobOf("test/Tiny-GGUF", hub.sha256("test/Tiny-GGUF", "tiny-q8_0.gguf"));
    await symlink(path.relative(other, blob), path.join(other, "tiny-q8_0.gguf"));
    await storeWith().remove("hf.co/test/Tiny-GGUF:Q8_0");
    assert.ok((await stat(blob)).isFile(), "the blob stays for the other snapshot");
  });

  it("refuses path traversal in repo ids, file names and model ids", async function () {
    for (const bad of ["../x", "a/../b", "/etc", "a/b/c", "a/..", "..%2f/x", "a--b/c", ".a/b"]) {
      assert.throws(() => checkRepoId(bad), StoreError, bad);
    }
    for (const bad of ["../x.gguf", "a/../../x", "/etc/passwd", "C:\\x", "a\\..\\b", "%2e%2e/x.gguf", "a/%2E%2E/b", "a//b", "./a", ""]) {
      assert.throws(() => checkRepoFile(bad), StoreError, bad);
    }
    for (const bad of ["../qwen", "/etc/passwd", "hf.co/../x:Q4_K_M", "hf.co/a/..:Q4_K_M", "%2e%2e/x", "a\\b", "C:/x"]) {
      assert.throws(() => checkModelId(bad), StoreError, bad);
      await rejectsWith(storeWith().pull(bad), "invalid_name");
      await rejectsWith(storeWith().remove(bad), "invalid_name");
    }
    // A listing naming a file that would climb out of the cache is refused before any download.
    hub.addRepo({ id: "test/Evil-GGUF", files: [{ path: "%2e%2e/evil-q4_k_m.gguf", content: Buffer.from("GGUF") }] });
    await rejectsWith(storeWith().pull("hf.co/test/Evil-GGUF"), "invalid_name", /not a safe file name/);
    assert.ok(!hub.requests.some((r) => r.url.includes("/resolve/")));
  });
});
