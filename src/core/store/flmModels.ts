// Models FastFlowLM has downloaded: it keeps its own store, so it is asked (`flm list`).
import { execFile } from "node:child_process";
import { flmTagsIn } from "../protocol/flmTag";

const LIST_TIMEOUT_MS = 10_000;

/** The installed tags; empty when flm cannot be run or does not answer in time. */
export function installedFlmTags(flm: string): Promise<Set<string>> {
  return new Promise((resolve) => {
    execFile(flm, ["list", "--filter", "installed", "--quiet"], { timeout: LIST_TIMEOUT_MS, windowsHide: true }, (err, stdout) => {
      resolve(err ? new Set() : new Set(flmTagsIn(stdout).map((t) => t.toLowerCase())));
    });
  });
}
