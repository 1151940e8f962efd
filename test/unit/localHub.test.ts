// The local Hugging Face Hub stand-in, checked through the real @huggingface/hub client so that
// tests using it exercise the wire the client really reads; faults through plain fetch.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { downloadFile, fileDownloadInfo, HubApiError, listFiles, modelInfo, pathsInfo } from "@huggingface/hub";
import { LocalHub } from "../helpers/localHub";

const TOKEN = "hf_localhub_test_token";
const REPO = "acme/tiny";
const GATED = "acme/gated";

const gguf = crypto.randomBytes(20_000);
const onnx = crypto.randomBytes(3_000);
const config = Buffer.from(JSON.stringify({ model_type: "llama" }));
const tokenizer = Buffer.from(JSON.stringify({ version: "1.0" }));
const onDisk = crypto.randomBytes(2 * 1024 * 1024 + 17);

function sha256(b: Buffer | Uint8Array): string {
  return crypto.createHash("sha256").update(b).digest("hex");
}
function gitOid(b: Buffer): string {
  return crypto.createHash("sha1").update(`blob ${b.length}\0`).update(b).digest("hex");
}

async function rejectsWithStatus(p: Promise<unknown>, status: number, message?: RegExp): Promise<HubApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof HubApiError, `expected HubApiError, got ${err}`);
    assert.equal(err.statusCode, status);
    if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail("expected a rejection");
}

/** Reads a body until it ends or fails; says how many bytes came and the error, if any. */
async function drain(res: Response): Promise<{ bytes: Buffer; error?: unknown }> {
  const parts: Uint8Array[] = [];
  const reader = res.body!.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { bytes: Buffer.concat(parts) };
      parts.push(value);
    }
  } catch (error) {
    return { bytes: Buffer.concat(parts), error };
  }
}

/** A request with its path sent verbatim (fetch and URL() would resolve "..") */
function rawGet(base: string, rawPath: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    http
      .get({ hostname, port, path: rawPath }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on("error", reject);
  });
}

describe("local hub", function () {
  let hub: LocalHub;
  let hubUrl: string;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "localhub-"));
    const diskFile = path.join(dir, "model.onnx.data");
    await writeFile(diskFile, onDisk);
    hub = new LocalHub({ token: TOKEN, pageSize: 2 });
    hub.addRepo({
      id: REPO,
      files: [
        { path: "config.json", content: config },
        { path: "model-q4_k_m.gguf", content: gguf },
        { path: "onnx/model.onnx", content: onnx },
        { path: "onnx/model.onnx.data", file: diskFile },
        { path: "onnx/tok/tokenizer.json", content: tokenizer },
        { path: "huge.gguf", content: Buffer.from("tiny really"), declaredSize: 50e9 },
      ],
    });
    hub.addRepo({ id: GATED, gated: true, files: [{ path: "model.gguf", content: gguf }] });
    hubUrl = await hub.start();
  });
  after(async () => {
    await hub.close();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => hub.clearFaults());

  it("tells the commit through modelInfo, for main, HEAD and the sha itself", async function () {
    const info = await modelInfo({ name: REPO, hubUrl, additionalFields: ["sha"] });
    assert.match(hub.commit(REPO), /^[0-9a-f]{40}$/);
    assert.equal((info as { sha?: string }).sha, hub.commit(REPO));
    assert.equal(info.name, REPO);
    assert.equal(info.gated, false);
    assert.equal((await modelInfo({ name: REPO, hubUrl, revision: "main", additionalFields: ["sha"] })).sha, hub.commit(REPO));
    const bySha = await modelInfo({ name: REPO, hubUrl, revision: hub.commit(REPO), additionalFields: ["sha"] });
    assert.equal(bySha.sha, hub.commit(REPO));
    const last = hub.requests.at(-1)!;
    assert.match(last.url, /^\/api\/models\/acme\/tiny\/revision\/[0-9a-f]{40}\?expand=/);
    assert.equal(last.status, 200);
  });

  it("lists files recursively across subfolders and pages", async function () {
    const before = hub.requests.length;
    const entries = [];
    for await (const e of listFiles({ repo: REPO, hubUrl, recursive: true, revision: hub.commit(REPO) })) entries.push(e);
    assert.deepEqual(
      entries.map((e) => `${e.type[0]} ${e.path}`),
      ["f config.json", "f huge.gguf", "f model-q4_k_m.gguf", "d onnx", "f onnx/model.onnx", "f onnx/model.onnx.data", "d onnx/tok", "f onnx/tok/tokenizer.json"],
    );
    const treeCalls = hub.requests.slice(before).filter((r) => r.url.includes("/tree/"));
    assert.equal(treeCalls.length, 4, "8 entries in pages of 2");
    assert.ok(treeCalls.slice(1).every((r) => r.url.includes("cursor=")));

    const byPath = new Map(entries.map((e) => [e.path, e]));
    assert.equal(byPath.get("config.json")!.oid, gitOid(config));
    assert.equal(byPath.get("config.json")!.lfs, undefined);
    assert.deepEqual(byPath.get("model-q4_k_m.gguf")!.lfs?.oid, sha256(gguf));
    assert.equal(byPath.get("model-q4_k_m.gguf")!.size, gguf.length);
    assert.equal(byPath.get("onnx/model.onnx.data")!.lfs?.size, onDisk.length);
    assert.equal(byPath.get("huge.gguf")!.size, 50e9, "the declared size");
    assert.match(byPath.get("onnx")!.oid!, /^[0-9a-f]{40}$/);

    const direct = [];
    for await (const e of listFiles({ repo: REPO, hubUrl, path: "onnx" })) direct.push(e.path);
    assert.deepEqual(direct, ["onnx/model.onnx", "onnx/model.onnx.data", "onnx/tok"]);
  });

  it("answers paths-info with expand", async function () {
    const infos = await pathsInfo({ repo: REPO, hubUrl, paths: ["onnx/model.onnx", "config.json", "nope.txt", "onnx"], expand: true });
    assert.deepEqual(
      infos.map((i) => [i.path, i.type]),
      [["onnx/model.onnx", "file"], ["config.json", "file"], ["onnx", "directory"]],
    );
    assert.equal(infos[0].lfs?.oid, sha256(onnx));
    assert.equal(infos[0].lastCommit.id, hub.commit(REPO));
    assert.ok(infos[0].lastCommit.date instanceof Date && !isNaN(infos[0].lastCommit.date.getTime()));
    assert.deepEqual(infos[0].securityFileStatus, { status: "safe" });
    assert.equal(infos[1].oid, gitOid(config));
    const plain = await pathsInfo({ repo: REPO, hubUrl, paths: ["config.json"] });
    assert.equal(plain[0].lastCommit, undefined);
  });

  it("gives size and etag through fileDownloadInfo, for LFS and plain files", async function () {
    const lfs = await fileDownloadInfo({ repo: REPO, path: "model-q4_k_m.gguf", hubUrl });
    assert.equal(lfs?.size, gguf.length);
    assert.equal(lfs?.etag, `"${sha256(gguf)}"`);
    assert.match(lfs!.url, new RegExp(`^${hubUrl}/cdn-lfs/${sha256(gguf)}\\?`), "the redirect target, same origin");
    const plain = await fileDownloadInfo({ repo: REPO, path: "onnx/tok/tokenizer.json", hubUrl });
    assert.equal(plain?.size, tokenizer.length);
    assert.equal(plain?.etag, `"${gitOid(tokenizer)}"`);
    assert.equal(plain?.url, `${hubUrl}/acme/tiny/resolve/main/onnx/tok/tokenizer.json`);

    const head = await fetch(`${hubUrl}/${REPO}/resolve/main/model-q4_k_m.gguf`, { method: "HEAD", redirect: "manual" });
    assert.equal(head.status, 302);
    assert.equal(head.headers.get("x-linked-etag"), `"${sha256(gguf)}"`);
    assert.equal(head.headers.get("x-linked-size"), String(gguf.length));
    assert.equal(head.headers.get("x-repo-commit"), hub.commit(REPO));
    assert.ok(head.headers.get("x-request-id"));
  });

  it("downloads ranges and whole files with downloadFile", async function () {
    const blob = await downloadFile({ repo: REPO, path: "model-q4_k_m.gguf", hubUrl, xet: false });
    assert.equal(blob?.size, gguf.length);
    assert.deepEqual(Buffer.from(await blob!.slice(12_345).arrayBuffer()), gguf.subarray(12_345));
    assert.equal(hub.requests.at(-1)!.range, `bytes=12345-${gguf.length - 1}`);
    assert.equal(hub.requests.at(-1)!.status, 206);
    assert.deepEqual(Buffer.from(await blob!.slice(10, 20).arrayBuffer()), gguf.subarray(10, 20));
    assert.equal(sha256(Buffer.from(await blob!.arrayBuffer())), hub.sha256(REPO, "model-q4_k_m.gguf"));

    const disk = await downloadFile({ repo: REPO, path: "onnx/model.onnx.data", hubUrl, xet: false });
    assert.deepEqual(Buffer.from(await disk!.slice(1_000_000, 1_000_100).arrayBuffer()), onDisk.subarray(1_000_000, 1_000_100));
    assert.equal(sha256(Buffer.from(await disk!.arrayBuffer())), sha256(onDisk));
  });

  it("serves real bytes with status 200 when a size is declared, and ranges per RFC 7233", async function () {
    const head = await fetch(`${hubUrl}/${REPO}/resolve/main/huge.gguf`, { method: "HEAD", redirect: "manual" });
    assert.equal(head.headers.get("x-linked-size"), String(50e9));
    const full = await fetch(`${hubUrl}/${REPO}/resolve/main/huge.gguf`);
    assert.equal(full.status, 200);
    assert.equal(await full.text(), "tiny really");

    const url = `${hubUrl}/${REPO}/resolve/main/config.json`;
    const suffix = await fetch(url, { headers: { Range: "bytes=-5" } });
    assert.equal(suffix.status, 206);
    assert.equal(suffix.headers.get("content-range"), `bytes ${config.length - 5}-${config.length - 1}/${config.length}`);
    assert.equal(await suffix.text(), config.subarray(-5).toString());
    const past = await fetch(url, { headers: { Range: `bytes=${config.length}-` } });
    assert.equal(past.status, 416);
    assert.equal(past.headers.get("content-range"), `bytes */${config.length}`);
  });

  it("answers the 404 kinds the client recognises", async function () {
    await rejectsWithStatus(modelInfo({ name: "acme/missing", hubUrl }), 404, /Repository not found/);
    await rejectsWithStatus(modelInfo({ name: REPO, hubUrl, revision: "v9" }), 404, /Invalid rev id/);
    const list = async () => {
      for await (const _ of listFiles({ repo: REPO, hubUrl, revision: "nope" })) void _;
    };
    await rejectsWithStatus(list(), 404);
    await rejectsWithStatus(pathsInfo({ repo: "acme/missing", hubUrl, paths: ["x"] }), 404);
    // The client turns EntryNotFound into null rather than an error.
    assert.equal(await fileDownloadInfo({ repo: REPO, path: "nope.bin", hubUrl }), null);
    await rejectsWithStatus(fileDownloadInfo({ repo: "acme/missing", path: "x.bin", hubUrl }), 404);

    const codes = [];
    for (const p of [`/${REPO}/resolve/main/nope.bin`, "/acme/missing/resolve/main/x", `/${REPO}/resolve/v9/config.json`, "/what"]) {
      const res = await fetch(hubUrl + p);
      assert.equal(res.status, 404);
      assert.match(res.headers.get("content-type")!, /^application\/json/);
      assert.equal(typeof ((await res.json()) as { error?: unknown }).error, "string");
      codes.push(res.headers.get("x-error-code"));
    }
    assert.deepEqual(codes, ["EntryNotFound", "RepoNotFound", "RevisionNotFound", null]);
  });

  it("refuses gated files without the token and serves them with it", async function () {
    const denied = await rejectsWithStatus(fileDownloadInfo({ repo: GATED, path: "model.gguf", hubUrl }), 401, /Access to model acme\/gated is restricted/);
    assert.ok(denied.requestId);
    const res = await fetch(`${hubUrl}/${GATED}/resolve/main/model.gguf`);
    assert.equal(res.headers.get("x-error-code"), "GatedRepo");
    await rejectsWithStatus(fileDownloadInfo({ repo: GATED, path: "model.gguf", hubUrl, accessToken: "hf_wrong" }), 401, /Invalid credentials/);

    const info = await fileDownloadInfo({ repo: GATED, path: "model.gguf", hubUrl, accessToken: TOKEN });
    assert.equal(info?.size, gguf.length);
    const blob = await downloadFile({ repo: GATED, path: "model.gguf", hubUrl, accessToken: TOKEN, xet: false });
    assert.equal(sha256(Buffer.from(await blob!.slice(1).arrayBuffer())), sha256(gguf.subarray(1)));
    assert.equal(hub.requests.at(-1)!.auth, `Bearer ${TOKEN}`);
    // Metadata stays public, as on huggingface.co.
    assert.equal((await modelInfo({ name: GATED, hubUrl })).gated, "manual");
  });

  it("answers an injected 429 with Retry-After, then serves", async function () {
    hub.inject({ kind: "status", status: 429, retryAfter: 7, path: "config.json" });
    const url = `${hubUrl}/${REPO}/resolve/main/config.json`;
    const first = await fetch(url);
    assert.equal(first.status, 429);
    assert.equal(first.headers.get("retry-after"), "7");
    await first.body?.cancel();
    const second = await fetch(url);
    assert.equal(second.status, 200);
    assert.deepEqual(Buffer.from(await second.arrayBuffer()), config);

    hub.inject({ kind: "status", status: 503, times: 2, apiToo: true });
    await rejectsWithStatus(modelInfo({ name: REPO, hubUrl }), 503);
    await rejectsWithStatus(fileDownloadInfo({ repo: REPO, path: "config.json", hubUrl }), 503);
    assert.ok(await fileDownloadInfo({ repo: REPO, path: "config.json", hubUrl }));
  });

  it("cuts a body mid-way, once", async function () {
    hub.inject({ kind: "cut", path: "model-q4_k_m.gguf", atOffset: 5_000 });
    const url = `${hubUrl}/${REPO}/resolve/main/model-q4_k_m.gguf`;
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-length"), String(gguf.length));
    const { bytes, error } = await drain(res);
    assert.ok(error, "the body read rejects");
    assert.equal(bytes.length, 5_000);
    assert.deepEqual(bytes, gguf.subarray(0, 5_000));
    const again = await fetch(url, { headers: { Range: "bytes=5000-" } });
    assert.deepEqual(Buffer.from(await again.arrayBuffer()), gguf.subarray(5_000));
  });

  it("cuts a body from disk, counting from the range start", async function () {
    hub.inject({ kind: "cut", path: "onnx/model.onnx.data", atOffset: 1_500_000 });
    const res = await fetch(`${hubUrl}/${REPO}/resolve/main/onnx/model.onnx.data`, { headers: { Range: "bytes=1000000-" } });
    const { bytes, error } = await drain(res);
    assert.ok(error);
    assert.deepEqual(bytes, onDisk.subarray(1_000_000, 1_500_000));
  });

  it("corrupts exactly one byte", async function () {
    hub.inject({ kind: "corrupt", path: "onnx/model.onnx.data", atOffset: 1_234_567 });
    const got = Buffer.from(await (await fetch(`${hubUrl}/${REPO}/resolve/main/onnx/model.onnx.data`)).arrayBuffer());
    assert.equal(got.length, onDisk.length);
    const diffs = [];
    for (let i = 0; i < got.length; i++) if (got[i] !== onDisk[i]) diffs.push(i);
    assert.deepEqual(diffs, [1_234_567]);
    assert.notEqual(sha256(got), hub.sha256(REPO, "onnx/model.onnx.data"));
    // Forever by default; a range not covering the offset is clean.
    const again = Buffer.from(await (await fetch(`${hubUrl}/${REPO}/resolve/main/onnx/model.onnx.data`, { headers: { Range: "bytes=1234567-1234567" } })).arrayBuffer());
    assert.equal(again[0], onDisk[1_234_567] ^ 0xff);
    const clean = await (await fetch(`${hubUrl}/${REPO}/resolve/main/onnx/model.onnx.data`, { headers: { Range: "bytes=0-99" } })).arrayBuffer();
    assert.deepEqual(Buffer.from(clean), onDisk.subarray(0, 100));
  });

  it("slows a body down", async function () {
    const url = `${hubUrl}/${REPO}/resolve/main/model-q4_k_m.gguf`;
    hub.inject({ kind: "slow", bytesPerSecond: 40_000, path: "model-q4_k_m.gguf" });
    const t0 = Date.now();
    const got = Buffer.from(await (await fetch(url)).arrayBuffer());
    const took = Date.now() - t0;
    assert.deepEqual(got, gguf);
    assert.ok(took >= 400 && took < 2_000, `20 kB at 40 kB/s took ${took} ms`);
    hub.clearFaults();
    const t1 = Date.now();
    await (await fetch(url)).arrayBuffer();
    assert.ok(Date.now() - t1 < took / 2, "cleared");
  });

  it("stalls a body until the client gives up", async function () {
    hub.inject({ kind: "stall", path: "model-q4_k_m.gguf", afterBytes: 3_000 });
    const res = await fetch(`${hubUrl}/${REPO}/resolve/main/model-q4_k_m.gguf`, { signal: AbortSignal.timeout(300) });
    const t0 = Date.now();
    const { bytes, error } = await drain(res);
    assert.equal((error as Error)?.name, "TimeoutError");
    assert.ok(Date.now() - t0 >= 200);
    assert.deepEqual(bytes, gguf.subarray(0, 3_000));
  });

  it("refuses paths with .. segments", async function () {
    for (const p of [`/${REPO}/resolve/main/../../etc/passwd`, `/${REPO}/resolve/main/onnx/%2E%2E/config.json`, `/${REPO}/resolve/main/x%2F..%2Fconfig.json`]) {
      const res = await rawGet(hubUrl, p);
      assert.equal(res.status, 400, p);
      assert.match(res.body, /"error"/);
    }
  });

  it("closes promptly while a response is stalled", async function () {
    const own = new LocalHub();
    own.addRepo({ id: "a/b", files: [{ path: "m.gguf", content: gguf }] });
    const url = await own.start();
    own.inject({ kind: "stall", path: "m.gguf", afterBytes: 100 });
    const res = await fetch(`${url}/a/b/resolve/main/m.gguf`);
    const reading = drain(res);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await own.close();
    assert.ok(Date.now() - t0 < 500, `close took ${Date.now() - t0} ms`);
    const { bytes, error } = await reading;
    assert.ok(error);
    assert.equal(bytes.length, 100);
  });
});
