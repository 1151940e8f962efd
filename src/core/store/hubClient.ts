// The Hugging Face Hub through @huggingface/hub: resolve a revision to its commit and list the
// files there with their hashes, fetch file bytes, and turn every failure into a StoreError
// that says what happened and what to do.
import { HubApiError, listFiles, modelInfo } from "@huggingface/hub";
import { VERSION } from "../util/version";
import type { HubSettings } from "./hubSettings";
import { checkRepoFile, checkRepoId } from "./names";
import { cancelled, DEFAULT_RETRY, withRetry, type RetryPolicy } from "./retry";
import { StoreError } from "./storeError";

export interface RemoteFile {
  path: string;
  size: number;
  /** The name of its blob in the cache: the LFS SHA-256, else the git blob id. */
  etag: string;
  /** How the bytes are checked: SHA-256 for LFS files, git's blob SHA-1 for the rest. */
  hash: { algorithm: "sha256" | "git-sha1"; hex: string };
}

export interface RemoteRepo {
  repo: string;
  commit: string;
  files: RemoteFile[];
}

/** What the last failed HTTP answer said, when the hub client hides it (WebBlob streams keep only a message). */
export interface FailedAnswer {
  status: number;
  retryAfterMs?: number;
}

/**
 * A fetch for @huggingface/hub calls: cancellable, identifying Squeeze, and recording the last
 * failed status so errors raised deep in a stream can still be classified.
 */
export function hubFetch(signal: AbortSignal | undefined, seen: { failed?: FailedAnswer } = {}): typeof fetch {
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set("User-Agent", `squeeze/${VERSION}`);
    const res = await fetch(input, { ...init, headers, signal });
    if (!res.ok) seen.failed = { status: res.status, retryAfterMs: retryAfterMs(res.headers.get("retry-after")) };
    return res;
  };
}

export async function resolveRepo(
  settings: HubSettings,
  repo: string,
  revision: string,
  signal?: AbortSignal,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<RemoteRepo> {
  checkRepoId(repo);
  if (settings.offline) {
    throw new StoreError("offline", `offline mode is on (HF_HUB_OFFLINE) and ${repo} is not fully in the cache at ${settings.cacheDir}`);
  }
  const common = { hubUrl: settings.endpoint, accessToken: settings.token };
  return withRetry(
    async () => {
      const seen: { failed?: FailedAnswer } = {};
      const fetch = hubFetch(signal, seen);
      try {
        const info = await modelInfo({ ...common, name: repo, revision, additionalFields: ["sha"], fetch });
        const commit = (info as { sha?: unknown }).sha;
        if (typeof commit !== "string" || !/^[0-9a-f]{40}$/.test(commit)) {
          throw new StoreError("invalid_response", `${settings.endpoint} did not name the commit of ${repo}@${revision}`);
        }
        const files: RemoteFile[] = [];
        for await (const entry of listFiles({ ...common, repo, revision: commit, recursive: true, fetch })) {
          if (entry.type !== "file") continue;
          files.push(remoteFile(entry));
        }
        return { repo, commit, files };
      } catch (err) {
        throw hubError(err, seen.failed, signal, `${repo}@${revision}`, settings);
      }
    },
    policy,
    signal,
  );
}

function remoteFile(entry: { path: string; size: number; oid?: string; lfs?: { oid: string; size: number } }): RemoteFile {
  checkRepoFile(entry.path);
  const sha256 = entry.lfs?.oid;
  if (sha256 !== undefined && !/^[0-9a-f]{64}$/.test(sha256)) throw new StoreError("invalid_response", `the hub gave ${entry.path} a malformed SHA-256`);
  const oid = entry.oid ?? "";
  if (sha256 === undefined && !/^[0-9a-f]{40}$/.test(oid)) throw new StoreError("invalid_response", `the hub gave ${entry.path} a malformed id`);
  const size = entry.lfs?.size ?? entry.size;
  if (!Number.isSafeInteger(size) || size < 0) throw new StoreError("invalid_response", `the hub gave ${entry.path} an impossible size`);
  return sha256
    ? { path: entry.path, size, etag: sha256, hash: { algorithm: "sha256", hex: sha256 } }
    : { path: entry.path, size, etag: oid, hash: { algorithm: "git-sha1", hex: oid } };
}

/** Any failure talking to the hub, as a StoreError; `what` names the repo or file. */
export function hubError(err: unknown, failed: FailedAnswer | undefined, signal: AbortSignal | undefined, what: string, settings: HubSettings): StoreError {
  if (err instanceof StoreError) return err;
  if (signal?.aborted) return cancelled();
  const status = err instanceof HubApiError ? err.statusCode : failed?.status;
  if (status !== undefined) return statusError(status, failed?.retryAfterMs, what, settings, err);
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
  return new StoreError(
    "network",
    `could not reach ${settings.endpoint} for ${what} (${detail}): check the connection, or set HF_HUB_OFFLINE=1 to use only downloaded models`,
    true,
  );
}

function statusError(status: number, retryAfter: number | undefined, what: string, settings: HubSettings, err: unknown): StoreError {
  const said = err instanceof HubApiError ? `: ${err.message.split(". URL:")[0]}` : "";
  if (status === 401 || status === 403) {
    const how = settings.token
      ? "the token in HF_TOKEN (or from huggingface-cli login) was not accepted for it: check that it is valid and that your account has been granted access"
      : "it may be gated or private: accept its terms on the Hugging Face website, then set HF_TOKEN or run huggingface-cli login";
    return new StoreError("unauthorized", `Hugging Face refused access to ${what} (${status}${said}); ${how}`);
  }
  if (status === 404) return new StoreError("not_found", `${what} was not found on ${settings.endpoint} (404${said}): check the repository, file and revision names`);
  if (status === 429) {
    return new StoreError("rate_limited", `Hugging Face is rate-limiting requests (429) for ${what}; retrying later helps, and a token (HF_TOKEN) raises the limit`, true, retryAfter);
  }
  if (status >= 500) return new StoreError("server_error", `${settings.endpoint} failed with ${status} for ${what}${said}; try again later`, true, retryAfter);
  return new StoreError("invalid_response", `${settings.endpoint} answered ${status} for ${what}${said}`);
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
