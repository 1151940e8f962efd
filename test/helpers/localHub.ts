// A stand-in for the Hugging Face Hub on 127.0.0.1, speaking the endpoints @huggingface/hub calls
// (model info, tree, paths-info, resolve + an LFS "CDN"), with faults that can be injected on the wire.
// node:http directly: the fault paths need exact control over headers, sockets and body bytes.
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { pipeline } from "node:stream";

export interface HubFileSpec {
  /** e.g. "model-q4_k_m.gguf" or "onnx/model.onnx" */
  path: string;
  content?: Buffer;
  /** A file on disk, streamed (never read wholly into memory). */
  file?: string;
  /** Default: true when the size is over 10 MB or the name ends in .gguf/.onnx/.onnx.data/.bin/.safetensors. */
  lfs?: boolean;
  /** Size claimed by listings, paths-info, lfs.size and X-Linked-Size; the bytes served stay the real ones. */
  declaredSize?: number;
}

export interface HubRepoSpec {
  /** "owner/name" */
  id: string;
  files: HubFileSpec[];
  gated?: boolean;
  /** Commit sha; default: sha1 of the repo id + file oids. */
  sha?: string;
}

/**
 * Faults on file requests (/resolve and the /cdn-lfs hop it redirects to); `times` is consumed
 * once per request the fault applies to.
 */
export type Fault =
  /** Answer `status` (JSON error) instead; times default 1. `path` filters file requests only; apiToo: API endpoints match too, whatever `path`. */
  | { kind: "status"; status: number; times?: number; path?: string; retryAfter?: number; apiToo?: boolean }
  /** Send the body up to absolute offset atOffset (exclusive), then close the socket; applies to a request whose range contains atOffset; times default 1. */
  | { kind: "cut"; path: string; atOffset: number; times?: number }
  /** Flip (xor 0xff) the byte at absolute offset atOffset in any body whose range contains it; times default: forever. */
  | { kind: "corrupt"; path: string; atOffset: number; times?: number }
  /** Throttle file bodies (all files when `path` is omitted) until cleared. */
  | { kind: "slow"; bytesPerSecond: number; path?: string }
  /** Send the first afterBytes bytes of a body longer than that, then nothing, keeping the socket open; times default 1. */
  | { kind: "stall"; path: string; afterBytes: number; times?: number };

export interface HubRequest {
  method: string;
  url: string;
  range?: string;
  /** 0 until the response head is written. */
  status: number;
  auth?: string;
}

interface StoredFile {
  path: string;
  content?: Buffer;
  file?: string;
  realSize: number;
  claimedSize: number;
  lfs: boolean;
  sha256: string;
  /** git blob sha1: of the bytes, or of the LFS pointer for LFS files */
  oid: string;
}

interface StoredRepo {
  id: string;
  files: Map<string, StoredFile>;
  /** directory path → git tree oid ("" is the root) */
  dirs: Map<string, string>;
  gated: boolean;
  sha: string;
  lastModified: string;
}

interface TreeEntry {
  type: "file" | "directory";
  oid: string;
  size: number;
  path: string;
  lfs?: { oid: string; size: number; pointerSize: number };
}

type ActiveFault = Fault & { left: number };

const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const LFS_SUFFIX = /\.(gguf|onnx|onnx\.data|bin|safetensors)$/i;
const LFS_THRESHOLD = 10 * 1024 * 1024;
const CHUNK = 1 << 20;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const notFoundRepo = () => new HttpError(404, "Repository not found", "RepoNotFound");
const notFoundEntry = () => new HttpError(404, "Entry not found", "EntryNotFound");

export class LocalHub {
  readonly requests: HubRequest[] = [];
  private readonly repos = new Map<string, StoredRepo>();
  private faults: ActiveFault[] = [];
  private readonly token?: string;
  private readonly pageSize: number;
  private server?: http.Server;
  private readonly open = new Set<http.ServerResponse>();
  private nextId = 0;

  constructor(options: { token?: string; pageSize?: number } = {}) {
    if (options.token !== undefined && !options.token.startsWith("hf_")) throw new TypeError("the hub token must start with hf_");
    this.token = options.token;
    this.pageSize = options.pageSize ?? 1000;
    if (!(this.pageSize >= 1)) throw new TypeError("pageSize must be at least 1");
  }

  addRepo(spec: HubRepoSpec): void {
    if (!REPO_ID.test(spec.id)) throw new TypeError(`bad repo id ${spec.id}`);
    if (spec.sha !== undefined && !/^[0-9a-f]{40}$/.test(spec.sha)) throw new TypeError(`bad commit sha ${spec.sha}`);
    const files = new Map<string, StoredFile>();
    for (const f of spec.files) {
      if (f.path.split("/").some((p) => p === "" || p === "." || p === "..")) throw new TypeError(`bad file path ${f.path}`);
      if (files.has(f.path)) throw new TypeError(`duplicate file ${f.path}`);
      files.set(f.path, storeFile(f));
    }
    const dirs = treeOids(files);
    for (const p of files.keys()) if (dirs.has(p)) throw new TypeError(`${p} is both a file and a directory`);
    const sha =
      spec.sha ??
      sha1(spec.id + "\n" + [...files.values()].sort((a, b) => cmp(a.path, b.path)).map((f) => `${f.oid} ${f.path}`).join("\n"));
    this.repos.set(spec.id, { id: spec.id, files, dirs, gated: !!spec.gated, sha, lastModified: new Date().toISOString() });
  }

  removeRepo(id: string): void {
    this.repos.delete(id);
  }

  inject(fault: Fault): void {
    const dflt = fault.kind === "corrupt" || fault.kind === "slow" ? Infinity : 1;
    const left = fault.kind === "slow" ? Infinity : (fault.times ?? dflt);
    if (left > 0) this.faults.push({ ...fault, left });
  }

  clearFaults(): void {
    this.faults = [];
  }

  sha256(id: string, path: string): string {
    return this.stored(id, path).sha256;
  }

  commit(id: string): string {
    const repo = this.repos.get(id);
    if (!repo) throw new Error(`no repo ${id}`);
    return repo.sha;
  }

  start(port = 0): Promise<string> {
    if (this.server) return Promise.reject(new Error("already started"));
    const server = http.createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 30_000; // clients reuse connections across many range requests
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      });
    });
  }

  close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    this.server = undefined;
    return new Promise((resolve) => {
      server.close(() => resolve());
      // Stalled and slow responses would otherwise hold close() open forever.
      for (const res of this.open) res.destroy();
      server.closeAllConnections();
    });
  }

  private stored(id: string, path: string): StoredFile {
    const f = this.repos.get(id)?.files.get(path);
    if (!f) throw new Error(`no file ${id}/${path}`);
    return f;
  }

  /** The first live fault of `kind` that `match` accepts, consumed once. */
  private take<K extends Fault["kind"]>(kind: K, match: (f: Extract<ActiveFault, { kind: K }>) => boolean): Extract<ActiveFault, { kind: K }> | undefined {
    const found = this.faults.find((f): f is Extract<ActiveFault, { kind: K }> => f.kind === kind && match(f as Extract<ActiveFault, { kind: K }>));
    if (found) {
      found.left -= 1;
      if (found.left <= 0) this.faults = this.faults.filter((f) => f !== found);
    }
    return found;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const entry: HubRequest = { method: req.method ?? "GET", url: req.url ?? "/", status: 0 };
    if (req.headers.range) entry.range = req.headers.range;
    if (req.headers.authorization) entry.auth = req.headers.authorization;
    this.requests.push(entry);
    res.setHeader("X-Request-Id", `Root=1-${(++this.nextId).toString(16).padStart(8, "0")}-${crypto.randomBytes(12).toString("hex")}`);
    const writeHead = res.writeHead.bind(res) as (status: number, headers?: http.OutgoingHttpHeaders) => http.ServerResponse;
    res.writeHead = ((status: number, ...rest: [http.OutgoingHttpHeaders?]) => {
      entry.status = status;
      return writeHead(status, ...rest);
    }) as typeof res.writeHead;
    this.open.add(res);
    res.once("close", () => this.open.delete(res));
    this.route(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const e = err instanceof HttpError ? err : new HttpError(500, `Internal error: ${(err as Error)?.message ?? err}`);
      sendError(req, res, e);
    });
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const [rawPath, rawQuery = ""] = (req.url ?? "/").split(/\?(.*)/s, 2);
    const query = new URLSearchParams(rawQuery);
    // Split before decoding, and never through URL(): it would resolve ".." itself.
    const segs = rawPath.split("/").slice(1).map(decode);
    const method = req.method ?? "GET";

    if (segs[0] === "api" && segs[1] === "models" && segs.length >= 4) {
      const id = `${segs[2]}/${segs[3]}`;
      const rest = segs.slice(4);
      if ((rest.length === 0 || (rest[0] === "revision" && rest.length === 2)) && method === "GET") {
        return this.api(req, res, id, () => this.modelInfo(res, id, rest[1]));
      }
      if (rest[0] === "tree" && rest.length >= 2 && method === "GET") {
        return this.api(req, res, id, () => this.tree(req, res, id, rest[1], checkPath(rest.slice(2)), query));
      }
      if (rest[0] === "paths-info" && rest.length === 2 && method === "POST") {
        return this.api(req, res, id, async () => this.pathsInfo(res, id, rest[1], await readJson(req)));
      }
    }
    if (segs[0] === "cdn-lfs" && segs.length === 2 && (method === "GET" || method === "HEAD")) {
      return this.cdn(req, res, segs[1], query);
    }
    if (segs.length >= 5 && segs[2] === "resolve" && (method === "GET" || method === "HEAD")) {
      return this.resolve(req, res, `${segs[0]}/${segs[1]}`, segs[3], checkPath(segs.slice(4)));
    }
    throw new HttpError(404, `Cannot ${method} ${rawPath}`);
  }

  private async api(req: http.IncomingMessage, res: http.ServerResponse, id: string, serve: () => void | Promise<void>): Promise<void> {
    const fault = this.take("status", (f) => !!f.apiToo);
    if (fault) return sendStatusFault(req, res, fault);
    this.checkToken(req);
    if (!REPO_ID.test(id) || !this.repos.has(id)) throw notFoundRepo();
    // Like huggingface.co, a gated repo's metadata and file list are public; only its files are gated.
    await serve();
  }

  private checkToken(req: http.IncomingMessage): string | undefined {
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
    // With no token configured, presented tokens are ignored (an HF_TOKEN in the environment does no harm).
    if (token !== undefined && this.token !== undefined && token !== this.token) {
      throw new HttpError(401, "Invalid credentials in Authorization header");
    }
    return token;
  }

  private revision(repo: StoredRepo, rev: string | undefined): void {
    if (rev === undefined || rev === "main" || rev === "HEAD" || rev === repo.sha) return;
    throw new HttpError(404, `Invalid rev id: ${rev}`, "RevisionNotFound");
  }

  private modelInfo(res: http.ServerResponse, id: string, rev: string | undefined): void {
    const repo = this.repos.get(id)!;
    this.revision(repo, rev);
    sendJson(res, 200, {
      _id: sha1(`model:${id}`).slice(0, 24),
      id,
      sha: repo.sha,
      private: false,
      gated: repo.gated ? "manual" : false,
      pipeline_tag: "text-generation",
      downloads: 0,
      likes: 0,
      lastModified: repo.lastModified,
      siblings: [...repo.files.keys()].sort(cmp).map((rfilename) => ({ rfilename })),
    });
  }

  private tree(req: http.IncomingMessage, res: http.ServerResponse, id: string, rev: string, dir: string, query: URLSearchParams): void {
    const repo = this.repos.get(id)!;
    this.revision(repo, rev);
    if (!repo.dirs.has(dir)) throw notFoundEntry();
    const recursive = isTrue(query.get("recursive"));
    const expand = isTrue(query.get("expand"));
    const all = listDir(repo, dir, recursive);
    let from = 0;
    const cursor = query.get("cursor");
    if (cursor !== null) {
      from = Number(Buffer.from(cursor, "base64url").toString("utf8"));
      if (!Number.isSafeInteger(from) || from < 0 || from > all.length) throw new HttpError(400, "Invalid cursor");
    }
    const page = all.slice(from, from + this.pageSize).map((e) => this.expand(repo, e, expand));
    const headers: Record<string, string> = {};
    if (from + this.pageSize < all.length) {
      const next = new URLSearchParams(query);
      next.set("cursor", Buffer.from(String(from + this.pageSize)).toString("base64url"));
      const host = req.headers.host ?? `127.0.0.1:${(this.server?.address() as AddressInfo | null)?.port}`;
      const pathname = (req.url ?? "/").split("?")[0];
      headers.Link = `<http://${host}${pathname}?${next}>; rel="next"`;
    }
    sendJson(res, 200, page, headers);
  }

  private pathsInfo(res: http.ServerResponse, id: string, rev: string, body: unknown): void {
    const repo = this.repos.get(id)!;
    this.revision(repo, rev);
    const b = body as { paths?: unknown; expand?: unknown } | null;
    const paths = typeof b?.paths === "string" ? [b.paths] : b?.paths;
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === "string")) throw new HttpError(400, "paths must be an array of strings");
    const expand = b?.expand === true || isTrue(typeof b?.expand === "string" ? b.expand : null);
    const out: unknown[] = [];
    for (const p of new Set(paths as string[])) {
      const e = entryFor(repo, p.replace(/^\/+|\/+$/g, ""));
      if (e) out.push(this.expand(repo, e, expand));
    }
    sendJson(res, 200, out);
  }

  private expand(repo: StoredRepo, e: TreeEntry, expand: boolean): object {
    if (!expand) return e;
    const lastCommit = { id: repo.sha, title: "Upload folder using huggingface_hub", date: repo.lastModified };
    return e.type === "file" ? { ...e, lastCommit, securityFileStatus: { status: "safe" } } : { ...e, lastCommit };
  }

  /** Faults of kind "status" for file requests; path-less ones match any file. */
  private fileStatusFault(path: string) {
    return this.take("status", (f) => f.path === undefined || f.path === path);
  }

  private resolve(req: http.IncomingMessage, res: http.ServerResponse, id: string, rev: string, path: string): void {
    const fault = this.fileStatusFault(path);
    if (fault) return sendStatusFault(req, res, fault);
    const token = this.checkToken(req);
    const repo = REPO_ID.test(id) ? this.repos.get(id) : undefined;
    if (!repo) throw notFoundRepo();
    if (repo.gated && (this.token === undefined || token !== this.token)) {
      throw new HttpError(
        401,
        `Access to model ${id} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
        "GatedRepo",
      );
    }
    this.revision(repo, rev);
    const file = repo.files.get(path);
    if (!file) throw notFoundEntry();
    if (file.lfs) {
      const host = req.headers.host;
      const where = `/cdn-lfs/${file.sha256}?${new URLSearchParams({ repo: id, path, expires: "9999999999" })}`;
      res.writeHead(302, {
        Location: host ? `http://${host}${where}` : where,
        "X-Linked-ETag": `"${file.sha256}"`,
        "X-Linked-Size": String(file.claimedSize),
        "X-Repo-Commit": repo.sha,
        ETag: `"${file.sha256}"`,
        "Content-Length": "0",
      });
      res.end();
      return;
    }
    this.serve(req, res, file, { ETag: `"${file.oid}"`, "X-Repo-Commit": repo.sha });
  }

  private cdn(req: http.IncomingMessage, res: http.ServerResponse, sha256: string, query: URLSearchParams): void {
    const repoId = query.get("repo");
    const path = query.get("path");
    let file: StoredFile | undefined;
    if (repoId !== null && path !== null) file = this.repos.get(repoId)?.files.get(path);
    else for (const r of this.repos.values()) file ??= [...r.files.values()].find((f) => f.lfs && f.sha256 === sha256);
    if (!file || file.sha256 !== sha256) throw new HttpError(404, "Not found");
    const fault = this.fileStatusFault(file.path);
    if (fault) return sendStatusFault(req, res, fault);
    this.serve(req, res, file, { ETag: `"${file.sha256}"` });
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse, file: StoredFile, extra: Record<string, string>): void {
    const size = file.realSize;
    const range = parseRange(req.headers.range, size);
    if (range === "unsatisfiable") {
      throw new HttpError(416, "Requested Range Not Satisfiable", undefined, { "Content-Range": `bytes */${size}` });
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1; // inclusive; -1 for an empty file
    const headers: Record<string, string> = {
      ...extra,
      "Accept-Ranges": "bytes",
      "Content-Type": "application/octet-stream",
      "Content-Length": String(end - start + 1),
    };
    if (range) headers["Content-Range"] = `bytes ${start}-${end}/${size}`;
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === "HEAD" || end < start) {
      res.end();
      return;
    }

    const covers = (offset: number) => start <= offset && offset <= end;
    const cut = this.take("cut", (f) => f.path === file.path && covers(f.atOffset));
    const corrupt: number[] = [];
    while (true) {
      const f = this.take("corrupt", (c) => c.path === file.path && covers(c.atOffset) && !corrupt.includes(c.atOffset));
      if (!f) break;
      corrupt.push(f.atOffset);
    }
    const stall = this.take("stall", (f) => f.path === file.path && f.afterBytes < end - start + 1);
    const slow = this.faults.find((f): f is Extract<ActiveFault, { kind: "slow" }> => f.kind === "slow" && (f.path === undefined || f.path === file.path));

    if (!cut && !stall && !slow && corrupt.length === 0) {
      // The fast path: no per-chunk work, so a big file serves at disk/loopback speed.
      if (file.content) res.end(file.content.subarray(start, end + 1));
      else pipeline(fs.createReadStream(file.file!, { start, end, highWaterMark: CHUNK }), res, () => {});
      return;
    }
    void pump(res, file, start, end, {
      stopAt: Math.min(cut ? cut.atOffset : Infinity, stall ? start + stall.afterBytes : Infinity),
      then: cut ? "cut" : stall ? "stall" : undefined,
      corrupt,
      bytesPerSecond: slow?.bytesPerSecond,
    }).catch(() => res.destroy());
  }
}

interface PumpPlan {
  /** absolute offset where sending stops (Infinity: the end) */
  stopAt: number;
  then?: "cut" | "stall";
  corrupt: number[];
  bytesPerSecond?: number;
}

/** Sends [start, end] with faults applied, chunk by chunk. */
async function pump(res: http.ServerResponse, file: StoredFile, start: number, end: number, plan: PumpPlan): Promise<void> {
  res.flushHeaders();
  const source: Iterable<Buffer> | AsyncIterable<Buffer> = file.content
    ? slices(file.content, start, end)
    : fs.createReadStream(file.file!, { start, end, highWaterMark: CHUNK });
  const began = Date.now();
  let offset = start;
  let sent = 0;
  let stopped = false;
  for await (let chunk of source) {
    if (res.destroyed) return;
    if (offset + chunk.length > plan.stopAt) {
      chunk = chunk.subarray(0, Math.max(0, plan.stopAt - offset));
      stopped = true;
    }
    const hits = plan.corrupt.filter((c) => c >= offset && c < offset + chunk.length);
    if (hits.length > 0) {
      chunk = Buffer.from(chunk); // never flip bytes in the caller's Buffer
      for (const c of hits) chunk[c - offset] ^= 0xff;
    }
    offset += chunk.length;
    const bps = plan.bytesPerSecond;
    // Small pieces when throttled so the rate is smooth at ~20 ms granularity.
    const step = bps ? Math.max(1, Math.min(64 * 1024, Math.floor(bps / 50))) : chunk.length;
    for (let i = 0; i < chunk.length; i += step) {
      const piece = chunk.subarray(i, i + step);
      if (bps) await waitOrClose(res, began + (sent / bps) * 1000 - Date.now());
      if (res.destroyed) return;
      sent += piece.length;
      // Let a few MiB queue before waiting, so disk reads overlap socket writes.
      if (!res.write(piece) && res.writableLength > 4 * CHUNK) await waitOrClose(res, Infinity, "drain");
    }
    if (stopped) break;
  }
  if (res.destroyed) return;
  if (plan.then === "cut" && stopped) {
    // end() flushes what was written, then the socket goes: the client sees the body end early.
    const socket = res.socket;
    if (!socket) {
      res.destroy();
      return;
    }
    socket.end(() => socket.destroy());
    setTimeout(() => socket.destroy(), 2000).unref();
  } else if (plan.then === "stall" && stopped) {
    await waitOrClose(res, Infinity); // hold the socket open, send nothing more
  } else {
    res.end();
  }
}

function* slices(buf: Buffer, start: number, end: number): Generator<Buffer> {
  for (let i = start; i <= end; i += CHUNK) yield buf.subarray(i, Math.min(end + 1, i + CHUNK));
}

/** Resolves after `ms`, on `event` when given, or when the response closes, whichever is first. */
function waitOrClose(res: http.ServerResponse, ms: number, event?: "drain"): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  if (ms <= 0 && !event) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.off("close", done);
      if (event) res.off(event, done);
      resolve();
    };
    const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
    res.once("close", done);
    if (event) res.once(event, done);
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { ...headers, "Content-Type": "application/json; charset=utf-8", "Content-Length": String(text.length) });
  res.end(text);
}

function sendError(req: http.IncomingMessage, res: http.ServerResponse, e: HttpError): void {
  const headers: Record<string, string> = { ...e.headers, "X-Error-Message": e.message.replace(/[^\x20-\x7e]/g, "?") };
  if (e.code) headers["X-Error-Code"] = e.code;
  if (req.method === "HEAD") {
    res.writeHead(e.status, { ...headers, "Content-Type": "application/json; charset=utf-8" });
    res.end();
    return;
  }
  sendJson(res, e.status, { error: e.message }, headers);
}

function sendStatusFault(req: http.IncomingMessage, res: http.ServerResponse, f: Extract<Fault, { kind: "status" }>): void {
  const headers: Record<string, string> = {};
  if (f.retryAfter !== undefined) headers["Retry-After"] = String(f.retryAfter);
  const text = http.STATUS_CODES[f.status] ?? "Error";
  sendError(req, res, new HttpError(f.status, `${text} (injected fault)`, undefined, headers));
}

function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let length = 0;
    req.on("data", (d: Buffer) => {
      length += d.length;
      if (length > 1 << 20) reject(new HttpError(413, "Request body too large"));
      else parts.push(d);
    });
    req.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(parts).toString("utf8")));
      } catch {
        reject(new HttpError(400, "Invalid JSON body"));
      }
    });
    req.on("error", reject);
  });
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, "Invalid URL encoding");
  }
}

/** Joins decoded segments into a repo path, refusing ".." and "." (also when smuggled in as %2F). */
function checkPath(segments: string[]): string {
  const path = segments.join("/");
  if (path.split(/[/\\]/).some((p) => p === ".." || p === ".")) throw new HttpError(400, "Invalid path: no . or .. segments allowed");
  return path.replace(/\/+$/, "");
}

function isTrue(v: string | null): boolean {
  return v !== null && /^(true|1)$/i.test(v);
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === "" && m[2] === "")) return undefined; // absent, multi-range or malformed: serve it all
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  if (m[2] !== "" && Number(m[2]) < start) return undefined;
  if (start >= size) return "unsatisfiable";
  return { start, end: m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1) };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sha1(data: string | Buffer): string {
  return crypto.createHash("sha1").update(data).digest("hex");
}

function lfsPointer(sha256: string, size: number): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`;
}

function storeFile(f: HubFileSpec): StoredFile {
  if ((f.content === undefined) === (f.file === undefined)) throw new TypeError(`${f.path}: give exactly one of content and file`);
  const realSize = f.content ? f.content.length : fs.statSync(f.file!).size;
  const claimedSize = f.declaredSize ?? realSize;
  const lfs = f.lfs ?? (claimedSize > LFS_THRESHOLD || LFS_SUFFIX.test(f.path));
  const h = f.content ? hashBuffer(f.content, !lfs) : hashDiskFile(f.file!, !lfs);
  const oid = lfs ? sha1(`blob ${lfsPointer(h.sha256, claimedSize).length}\0${lfsPointer(h.sha256, claimedSize)}`) : h.gitSha1!;
  return { path: f.path, content: f.content, file: f.file, realSize, claimedSize, lfs, sha256: h.sha256, oid };
}

interface Hashes {
  sha256: string;
  gitSha1?: string;
}

function hashBuffer(buf: Buffer, git: boolean): Hashes {
  const sha256 = crypto.createHash("sha256").update(buf).digest("hex");
  return { sha256, gitSha1: git ? sha1(Buffer.concat([Buffer.from(`blob ${buf.length}\0`), buf])) : undefined };
}

// Hashing a big model takes seconds; benchmarks add the same files again and again.
const diskHashes = new Map<string, Hashes>();

function hashDiskFile(file: string, git: boolean): Hashes {
  const st = fs.statSync(file);
  const key = `${fs.realpathSync(file)}\0${st.ino}\0${st.size}\0${st.mtimeMs}`;
  const cached = diskHashes.get(key);
  if (cached && (cached.gitSha1 || !git)) return cached;
  const s256 = crypto.createHash("sha256");
  const s1 = git ? crypto.createHash("sha1").update(`blob ${st.size}\0`) : undefined;
  const buf = Buffer.allocUnsafe(8 * CHUNK);
  const fd = fs.openSync(file, "r");
  try {
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) {
      s256.update(buf.subarray(0, n));
      s1?.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  const h = { sha256: s256.digest("hex"), gitSha1: s1?.digest("hex") };
  diskHashes.set(key, h);
  return h;
}

/** Every directory (with "" for the root) and its git tree oid, as git would compute it. */
function treeOids(files: Map<string, StoredFile>): Map<string, string> {
  const children = new Map<string, Map<string, { dir: boolean; oid?: string }>>([["", new Map()]]);
  for (const p of files.keys()) {
    const parts = p.split("/");
    for (let i = 0; i < parts.length; i++) {
      const parent = parts.slice(0, i).join("/");
      const self = parts.slice(0, i + 1).join("/");
      const isDir = i < parts.length - 1;
      if (!children.has(parent)) children.set(parent, new Map());
      children.get(parent)!.set(parts[i], { dir: isDir, oid: isDir ? undefined : files.get(self)!.oid });
      if (isDir && !children.has(self)) children.set(self, new Map());
    }
  }
  const oids = new Map<string, string>();
  const oidOf = (dir: string): string => {
    const known = oids.get(dir);
    if (known) return known;
    const entries = [...children.get(dir)!.entries()].map(([name, c]) => ({
      name,
      dir: c.dir,
      oid: c.dir ? oidOf(dir ? `${dir}/${name}` : name) : c.oid!,
    }));
    // git orders tree entries by name, with directories compared as "name/".
    entries.sort((a, b) => cmp(a.dir ? a.name + "/" : a.name, b.dir ? b.name + "/" : b.name));
    const body = Buffer.concat(entries.map((e) => Buffer.concat([Buffer.from(`${e.dir ? "40000" : "100644"} ${e.name}\0`), Buffer.from(e.oid, "hex")])));
    const oid = sha1(Buffer.concat([Buffer.from(`tree ${body.length}\0`), body]));
    oids.set(dir, oid);
    return oid;
  };
  for (const dir of children.keys()) oidOf(dir);
  return oids;
}

function entryFor(repo: StoredRepo, path: string): TreeEntry | undefined {
  const f = repo.files.get(path);
  if (f) {
    // Like the hub, an LFS entry's size is the file's, not the pointer's.
    const e: TreeEntry = { type: "file", oid: f.oid, size: f.claimedSize, path };
    if (f.lfs) e.lfs = { oid: f.sha256, size: f.claimedSize, pointerSize: lfsPointer(f.sha256, f.claimedSize).length };
    return e;
  }
  const oid = path !== "" ? repo.dirs.get(path) : undefined;
  return oid ? { type: "directory", oid, size: 0, path } : undefined;
}

/** Entries under `dir`, depth first, each directory before its contents, names in order. */
function listDir(repo: StoredRepo, dir: string, recursive: boolean): TreeEntry[] {
  const prefix = dir ? `${dir}/` : "";
  const names = new Set<string>();
  for (const p of [...repo.files.keys(), ...repo.dirs.keys()]) {
    if (p !== dir && p.startsWith(prefix)) names.add(p.slice(prefix.length).split("/")[0]);
  }
  const out: TreeEntry[] = [];
  for (const name of [...names].sort(cmp)) {
    const e = entryFor(repo, prefix + name)!;
    out.push(e);
    if (recursive && e.type === "directory") out.push(...listDir(repo, e.path, true));
  }
  return out;
}
