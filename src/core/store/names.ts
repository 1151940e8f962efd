// Names that come from outside (CLI arguments, API bodies, the hub's own file listings) and end
// up in file system paths. Each is checked before it is joined onto a folder, so none can climb
// out of the cache: "..", absolute and drive paths, backslashes, and percent-encoded dots.
import { StoreError } from "./storeError";

/** Hugging Face's rules for one half of owner/name: no "..", "--", leading dot or dash. */
const REPO_PART = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$/;

export function checkRepoId(repo: string): string {
  const parts = repo.split("/");
  const ok = parts.length === 2 && parts.every((p) => REPO_PART.test(p) && !p.includes("..") && !p.includes("--") && !p.endsWith("."));
  if (!ok) throw new StoreError("invalid_name", `"${repo}" is not a Hugging Face repository id (owner/name)`);
  return repo;
}

/** A file inside a repository as the hub names it: relative, '/'-separated, never leaving the repo. */
export function checkRepoFile(file: string): string {
  const segments = file.split("/");
  const bad =
    file.length === 0 ||
    file.length > 1024 ||
    /[\\\0-\x1f]/.test(file) ||
    /^[A-Za-z]:/.test(file) ||
    segments.some((s) => s === "" || isDotSegment(s));
  if (bad) throw new StoreError("invalid_name", `"${file}" is not a safe file name inside a repository`);
  return file;
}

/** Model ids given to pull, rm and the API: catalog ids, user ids, hf.co/owner/repo:QUANT. */
export function checkModelId(id: string): string {
  const bad =
    id.length === 0 ||
    id.length > 300 ||
    /[\\\0-\x1f%]/.test(id) ||
    id.startsWith("/") ||
    /^[A-Za-z]:/.test(id) ||
    id.split("/").some((s) => isDotSegment(s.split(":")[0]));
  if (bad) throw new StoreError("invalid_name", `"${id}" is not a valid model id`);
  return id;
}

/** "." and "..", also when percent-encoded (a server or a later decode would turn them back). */
function isDotSegment(segment: string): boolean {
  let decoded = segment;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    // Not valid percent-encoding: it stays literal and is judged as it is.
  }
  return decoded === "." || decoded === ".." || segment === "." || segment === "..";
}
